"""Draw the phone page's home-screen icons (static/icons/shuxin-192.png, -512.png).

Run once when the icon changes (the PNGs are committed): python map_ui/assets/make_icons.py
Needs the Noto CJK font (fonts-noto-cjk). The glyph stays inside the central 60%, the safe zone
of a maskable icon.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), "#13315c")
    pen = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(size * 0.5), index=2)  # index 2: Simplified Chinese
    pen.text((size / 2, size / 2), "舒", font=font, fill="#ffffff", anchor="mm")
    pen.rectangle((size * 0.3, size * 0.8, size * 0.7, size * 0.83), fill="#ffb000")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for n in (192, 512):
        draw(n).save(OUT / f"shuxin-{n}.png", optimize=True)
        print(OUT / f"shuxin-{n}.png")
