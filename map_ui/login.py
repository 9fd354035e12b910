"""The sign-in page (zh-CN): a plain form that works without scripts."""

from __future__ import annotations

from html import escape


def render_login(
    *, next_url: str = "/", error: str | None = None, static_prefix: str = "/static"
) -> str:
    """The login page; `error` is shown above the form."""
    message = f'<p class="sx-login-error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 舒心 乡镇综合信息指挥室</title>
<link rel="stylesheet" href="{static_prefix}/css/shuxin-login.css">
<link rel="icon" href="{static_prefix}/favicon.svg">
</head>
<body>
<main class="sx-login">
  <h1>舒心 · 乡镇综合信息指挥室</h1>
  <p class="sx-login-sub">请使用本单位分配的账号登录</p>
  {message}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="{escape(next_url)}">
    <label>账号<input name="username" autocomplete="username" required autofocus></label>
    <label>密码<input name="password" type="password" autocomplete="current-password" required>
    </label>
    <button type="submit">登录</button>
  </form>
</main>
</body>
</html>
"""
