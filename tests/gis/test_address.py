"""Tests of gis.address: normalising, short names, and parsing addresses into their parts."""

from __future__ import annotations

import pytest

from gis.address import AddressParser, NameForm, Part, name_forms, normalize, short_name

REGIONS = ("浙江省", "衢州市", "龙游县")
TOWNSHIPS = ("湖镇镇", "龙洲街道", "东华街道", "溪口镇", "大街乡", "沐尘畲族乡")
VILLAGES = (
    "星火村村民委员会",
    "大路村村民委员会",
    "上溪村村民委员会",
    "溪口村村民委员会",
    "叶村村村民委员会",
    "街路村村民委员会",
    "清廉社区",
    "街道居民委员会",
)


@pytest.fixture(scope="module")
def parser() -> AddressParser:
    return AddressParser(regions=REGIONS, townships=TOWNSHIPS, villages=VILLAGES)


# --------------------------------------------------------------------------- normalising


def test_normalize_makes_full_width_half_width_and_drops_spaces_and_punctuation() -> None:
    assert normalize("龙游县　湖镇镇，星火村（３组１２号）") == "龙游县湖镇镇星火村3组12号"
    assert normalize("阳光花园Ａ座 ｂ幢") == "阳光花园A座B幢"


def test_normalize_reads_a_hash_after_a_number_as_hao_and_keeps_a_dash_between_digits() -> None:
    assert normalize("人民路12#") == "人民路12号"
    assert normalize("人民路 12-3 号") == "人民路12-3号"
    assert normalize("星火村 - 3组") == "星火村3组"


# --------------------------------------------------------------------------- short names


@pytest.mark.parametrize(
    ("official", "level", "short"),
    [
        ("山底村村民委员会", "village", "山底村"),
        ("东华街道某某社区居民委员会", "village", "某某社区"),
        ("清廉社区", "village", "清廉社区"),
        ("清廉社区居民委员会", "village", "清廉社区"),
        ("街道居民委员会", "village", "街道社区"),
        ("柳村村村民委员会", "village", "柳村村"),
        ("星火村委会", "village", "星火村"),
        ("湖镇镇", "township", "湖镇镇"),
        ("白石镇", "township", "白石镇"),
        ("湖镇镇人民政府", "township", "湖镇镇"),
        ("沐尘畲族乡", "township", "沐尘畲族乡"),
        ("荣昌大道", "road", "荣昌大道"),
    ],
)
def test_short_name(official: str, level: str, short: str) -> None:
    assert short_name(official, level) == short


def test_short_name_refuses_an_empty_name() -> None:
    with pytest.raises(ValueError, match=r"official must contain a name .*, got '（ ）'"):
        short_name("（ ）", "village")


def test_a_township_is_known_by_its_full_name_and_its_bare_name() -> None:
    assert name_forms("白石镇", "township") == (
        NameForm("白石镇", suffixed=True),
        NameForm("白石", suffixed=False),
    )
    assert name_forms("湖镇镇", "township") == (
        NameForm("湖镇镇", suffixed=True),
        NameForm("湖镇", suffixed=False),
    )
    assert [f.key for f in name_forms("沐尘畲族乡", "township")] == ["沐尘畲族乡", "沐尘乡", "沐尘"]


def test_a_village_is_known_by_its_committee_forms_and_its_bare_name() -> None:
    forms = dict(name_forms("山底村村民委员会", "village"))

    assert forms == {
        "山底村村民委员会": True,
        "山底村": True,
        "山底村委会": True,
        "山底村村委会": True,
        "山底村民委员会": True,
        "山底": False,
    }


def test_a_suffix_word_is_never_a_bare_name() -> None:
    keys = [f.key for f in name_forms("街道居民委员会", "village")]

    assert "街道" not in keys
    assert {"街道社区", "街道居委会", "街道居民委员会"} <= set(keys)


def test_a_community_numbered_in_chinese_is_also_known_with_the_digit() -> None:
    keys = [f.key for f in name_forms("十里坪一社区", "village")]

    assert {"十里坪一社区", "十里坪1社区", "十里坪一", "十里坪1"} <= set(keys)


# --------------------------------------------------------------------------- parsing


def test_every_part_of_a_full_address(parser: AddressParser) -> None:
    parts = parser.parse("浙江省衢州市龙游县湖镇镇星火村下王自然村3组12号")

    assert parts.region == ("浙江省", "衢州市", "龙游县")
    assert parts.township is not None and parts.township.key == "湖镇镇"
    assert parts.township.suffixed
    assert parts.village is not None and parts.village.key == "星火村"
    assert parts.natural_village == "下王"
    assert parts.group == "3"
    assert parts.number == "12"
    assert parts.rest == ""


def test_prefixes_are_dropped_with_or_without_their_suffix(parser: AddressParser) -> None:
    for text in ("浙江衢州龙游湖镇镇星火村", "衢州市龙游县湖镇镇星火村", "湖镇镇星火村"):
        parts = parser.parse(text)
        assert (parts.township.key, parts.village.key) == ("湖镇镇", "星火村"), text


def test_the_prefixes_are_the_ones_passed_in_not_longyou() -> None:
    qujiang = AddressParser(regions=("浙江省", "衢州市", "衢江区"), townships=("湖镇镇",))

    assert qujiang.parse("衢州市衢江区湖镇镇").region == ("衢州市", "衢江区")
    assert qujiang.parse("衢州市衢江区湖镇镇").foreign_region is None
    assert qujiang.parse("衢州市龙游县湖镇镇").foreign_region == "龙游县"


def test_a_township_without_its_suffix(parser: AddressParser) -> None:
    parts = parser.parse("龙游县湖镇星火村")

    assert parts.township.key == "湖镇"
    assert not parts.township.suffixed
    assert parts.village.key == "星火村"


def test_full_width_digits_spaces_and_punctuation_give_the_same_parts(
    parser: AddressParser,
) -> None:
    messy = parser.parse("龙游县 湖镇镇，星火村（３组１２号）")
    clean = parser.parse("龙游县湖镇镇星火村3组12号")

    assert (messy.township, messy.village, messy.group, messy.number) == (
        clean.township,
        clean.village,
        clean.group,
        clean.number,
    )


def test_a_village_without_its_suffix_and_with_its_committee(parser: AddressParser) -> None:
    assert parser.parse("湖镇星火3组").village.key == "星火"
    assert not parser.parse("湖镇星火3组").village.suffixed
    committee = parser.parse("星火村村委会旁边")
    assert committee.village.text == "星火村村委会"
    assert committee.rest == "旁边"
    assert parser.parse("星火村民委员会").village.key == "星火村民委员会"


def test_a_compound_with_building_unit_and_room(parser: AddressParser) -> None:
    parts = parser.parse("龙洲街道阳光花园3幢2单元301室")

    assert parts.township.key == "龙洲街道"
    assert (parts.compound, parts.building, parts.unit, parts.room) == ("阳光花园", "3", "2", "301")


def test_a_road_and_door_number(parser: AddressParser) -> None:
    parts = parser.parse("龙游县荣昌大道188号")

    assert (parts.road, parts.number) == ("荣昌大道", "188")
    assert parts.township is None and parts.village is None


def test_a_bare_name_inside_a_longer_word_is_not_that_place(parser: AddressParser) -> None:
    # 大街 is 大街乡's bare name, 龙洲 龙洲街道's, 大路 大路村's: here they are parts of a road,
    # a road named after the township, and a natural village named after a village.
    assert parser.parse("荣昌大街188号").township is None
    assert parser.parse("荣昌大街188号").road == "荣昌大街"
    assert parser.parse("龙洲路12号").township is None
    assert parser.parse("龙洲路12号").road == "龙洲路"
    natural = parser.parse("湖镇镇星火村大路自然村")
    assert natural.village.key == "星火村"
    assert natural.natural_village == "大路"


def test_a_known_name_after_a_bare_township_is_not_a_road(parser: AddressParser) -> None:
    parts = parser.parse("东华街路村4组")

    assert (parts.township.key, parts.village.key) == ("东华", "街路村")


def test_an_unknown_village_is_found_by_its_suffix(parser: AddressParser) -> None:
    parts = parser.parse("湖镇镇星伙村3组")

    assert parts.village.key is None
    assert parts.village.text == "星伙村"
    assert parser.parse("湖镇镇上溪斗村").village.key is None  # not 上溪村 and some noise


def test_a_suffixed_name_inside_an_unknown_word_is_marked_unbounded(
    parser: AddressParser,
) -> None:
    parts = parser.parse("东华街道湖低叶村村委会")

    assert parts.village.key == "叶村村委会"
    assert not parts.village.bounded
    assert parts.village.prefix == "湖低"


def test_a_bare_name_that_is_a_township_and_a_village(parser: AddressParser) -> None:
    assert parser.parse("龙游县溪口").township.key == "溪口"
    assert parser.parse("龙游县溪口").village is None
    both = parser.parse("溪口镇溪口")
    assert (both.township.key, both.village.key) == ("溪口镇", "溪口")


def test_a_community_called_street(parser: AddressParser) -> None:
    parts = parser.parse("溪口镇街道社区")

    assert (parts.township.key, parts.village.key) == ("溪口镇", "街道社区")


def test_another_county_is_foreign(parser: AddressParser) -> None:
    assert parser.parse("衢州市柯城区荷花街道新华社区").foreign_region == "柯城区"
    assert parser.parse("江山市贺村镇").foreign_region == "江山市"
    # Words ending in 区 or 市 are not counties.
    assert parser.parse("龙游县工业园区3号").foreign_region is None
    assert parser.parse("龙游县老城区").foreign_region is None
    assert parser.parse("农贸市场旁").foreign_region is None


def test_a_grid_and_a_group_in_chinese_numerals(parser: AddressParser) -> None:
    parts = parser.parse("湖镇镇星火村第三网格十二组")

    assert (parts.grid, parts.group) == ("3", "12")


def test_later_villages_are_kept_apart(parser: AddressParser) -> None:
    parts = parser.parse("星火村到大路村的路上")

    assert parts.village.key == "星火村"
    assert [m.key for m in parts.other_villages] == ["大路村"]


def test_the_parser_refuses_a_string_where_a_list_of_names_belongs() -> None:
    with pytest.raises(TypeError, match=r"villages must be a list of names, got the string"):
        AddressParser(villages="星火村")
    with pytest.raises(TypeError, match=r"text must be a str, got int"):
        AddressParser().parse(12345)


def test_parts_say_what_part_they_are(parser: AddressParser) -> None:
    parts = parser.parse("湖镇镇星火村")

    assert (parts.township.part, parts.village.part) == (Part.township, Part.village)
