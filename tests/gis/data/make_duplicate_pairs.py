# ruff: noqa: E501 (the hand-written cases and phrasings read best one to a line)
"""Write duplicate_pairs.csv: labelled pairs of Chinese event reports for the duplicate check.

    python tests/gis/data/make_duplicate_pairs.py      # rewrites duplicate_pairs.csv beside it

Seeded, so the file only changes when this script does. Each row is a pair (a, b): b an
earlier event, a a new report; `label` 1 when both report the same issue, 0 when not.

How the pairs are made:
- Places around Longyou (119.17E, 29.03N) of six kinds (a crossing, a shop by number, a block
  of a housing estate, a landmark's side, a village group, a river by a bridge), each with
  several ways people name it: 荣昌路与太平路交叉口 / 太平路荣昌路路口 / 荣昌路和太平路交界处.
- Issues per category of api/categories/default_catalog.csv, several distinct issues per
  category (占道经营: a fruit stall, goods outside a shop, a night barbecue), each with
  several phrasings that put the place before or after the issue.
- Three ways of writing: a citizen on the app (short, spoken: 臭死了，有没有人管管), a 12345
  transcript (市民来电反映：…，希望相关部门尽快处理) and a grid worker (巡查发现…，已拍照上报),
  with details added or left out, and sometimes a common typo (拉圾, 井概, 燥音).
- Same issue (label 1): two writers, two names of the place, two phrasings; 0-90 m apart
  (GPS, or a hotline address geocoded to the road), 0-70 h apart; mostly the same 小类,
  sometimes a sibling 小类 (暴露垃圾 / 道路保洁) and, rarely, another 大类 or a geocode
  150 m off: the check is expected to miss those, and they count against its recall.
- Different issues (label 0): another 大类 at the same place (垃圾 and 占道经营 at one crossing);
  the same 大类 or 小类 but another issue at the same place (two different leaks on one street,
  a fruit stall and a barbecue at one crossing); the same issue at another place near in time;
  the same issue at the next block or shop (5幢 / 8幢, 40-95 m apart); and the same place and
  issue again days later (a repeat, not a duplicate).
- Hand-written hard cases at the end (`HARD_CASES`).
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).with_name("duplicate_pairs.csv")
SEED = 20261126
CENTRE_LON, CENTRE_LAT = 119.17, 29.03
T0 = 1795651200  # 2026-11-26 00:00 UTC: the new reports come around this time
M_PER_DEG_LAT = 111_195.0

# --- places -------------------------------------------------------------------------------------

ROADS = [
    "荣昌路", "太平路", "兴龙路", "龙洲路", "灵山路", "文化路", "西门街", "东门街", "北门街",
    "河西街", "人民路", "新城大道", "环城南路", "翠光路", "阳光大道", "城中路", "东华路", "龙翔路",
]  # fmt: skip
SHOPS = [
    "好又多超市", "老王水果店", "阿强面馆", "华联超市", "小李烧烤", "红星五金店", "百姓大药房",
    "龙游发糕店", "兰州拉面", "沙县小吃", "顺发理发店", "联华便利店",
]  # fmt: skip
ESTATES = [
    "阳光花园", "锦绣家园", "华岗新村", "鸡鸣新村", "城北小区", "东方名苑", "桂花苑", "龙腾小区",
    "清溪苑", "凤凰城",
]  # fmt: skip
LANDMARKS = [
    "东门菜场", "人民广场", "龙游商城", "县人民医院", "实验小学", "客运中心", "西门公园",
    "龙游中学", "文化中心", "农贸市场", "体育馆", "步行街",
]  # fmt: skip
VILLAGES = ["下埠头村", "团石村", "星火村", "溪口村", "横路村", "高塘村", "方坦村", "后田铺村"]
RIVERS = [("灵山江", "通驷桥"), ("灵山江", "龙洲大桥"), ("衢江", "衢江大桥"), ("护城河", "东门桥")]
SIDES = {"东": ("东门", "东侧", "东边"), "西": ("西门", "西侧", "西边"), "南": ("南门", "南侧", "南边"),
         "北": ("北门", "北侧", "北边")}  # fmt: skip
NUMERALS = "零一二三四五六七八九十"


def _cn(n: int) -> str:
    """A small number in Chinese numerals (1-19)."""
    return NUMERALS[n] if n <= 10 else "十" + NUMERALS[n - 10]


@dataclass
class Place:
    kind: str
    forms: list[str]  # the ways people name it
    lon: float
    lat: float
    parts: tuple  # what it is made of, to make a neighbour (next block, next shop)


def _place(kind: str, parts: tuple, lon: float, lat: float) -> Place:
    if kind == "crossing":
        a, b = parts
        forms = [f"{a}与{b}交叉口", f"{a}{b}路口", f"{b}与{a}交叉路口", f"{a}和{b}交界处",
                 f"{a}{b}十字路口", f"{b}{a}口"]  # fmt: skip
    elif kind == "shop":
        road, num, shop = parts
        forms = [f"{road}{num}号", f"{road}{num}号{shop}门口", f"{road}{shop}门前",
                 f"{shop}（{road}{num}号）门口", f"{road}{num}号附近"]  # fmt: skip
    elif kind == "block":
        estate, n = parts
        full = estate if estate.endswith("小区") else f"{estate}小区"
        forms = [f"{estate}{n}幢楼下", f"{full}{n}号楼", f"{estate}{n}栋", f"{estate}{n}幢旁边",
                 f"{full}{_cn(n)}幢"]  # fmt: skip
    elif kind == "landmark":
        name, side = parts
        forms = [f"{name}{s}" for s in SIDES[side]] + [f"{name}{side}面"]
    elif kind == "village":
        village, g = parts
        forms = [f"{village}{g}组", f"{village}第{_cn(g)}村民小组", f"{village}{_cn(g)}组村口",
                 f"{village}{g}组村道边"]  # fmt: skip
    else:  # river
        river, bridge = parts
        forms = [f"{bridge}下面的{river}", f"{river}{bridge}段", f"{bridge}附近{river}边",
                 f"{river}靠近{bridge}的地方"]  # fmt: skip
    return Place(kind, forms, lon, lat, parts)


def random_place(rng: random.Random, kind: str) -> Place:
    lon = CENTRE_LON + rng.uniform(-0.06, 0.06)
    lat = CENTRE_LAT + rng.uniform(-0.05, 0.05)
    if kind == "crossing":
        a, b = rng.sample(ROADS, 2)
        parts: tuple = (a, b)
    elif kind == "shop":
        parts = (rng.choice(ROADS), rng.randint(1, 300), rng.choice(SHOPS))
    elif kind == "block":
        parts = (rng.choice(ESTATES), rng.randint(1, 19))
    elif kind == "landmark":
        parts = (rng.choice(LANDMARKS), rng.choice(list(SIDES)))
    elif kind == "village":
        parts = (rng.choice(VILLAGES), rng.randint(1, 12))
    else:
        parts = rng.choice(RIVERS)
    return _place(kind, parts, lon, lat)


def neighbour(rng: random.Random, place: Place, metres: float) -> Place | None:
    """The next block or shop of the same estate or road, `metres` away; None for other kinds."""
    lon, lat = offset(rng, place.lon, place.lat, metres)
    if place.kind == "block":
        estate, n = place.parts
        other = rng.choice([m for m in range(1, 20) if m != n])
        return _place("block", (estate, other), lon, lat)
    if place.kind == "shop":
        road, num, shop = place.parts
        other_shop = rng.choice([s for s in SHOPS if s != shop])
        return _place("shop", (road, num + rng.choice([-1, 1]) * rng.randint(6, 40), other_shop),
                      lon, lat)  # fmt: skip
    return None


def offset(rng: random.Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    dy = metres * math.sin(angle) / M_PER_DEG_LAT
    dx = metres * math.cos(angle) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lon + dx, lat + dy


# --- issues -------------------------------------------------------------------------------------


@dataclass
class Issue:
    category: str
    name: str
    titles: list[str]
    phrasings: list[str]  # "{p}" is the place
    places: tuple[str, ...] = ("crossing", "shop", "block", "landmark")


ANY_STREET = ("crossing", "shop", "landmark")
HOME = ("block",)
RURAL = ("village",)
RIVER = ("river",)

ISSUES: list[Issue] = [
    Issue("0101", "rooftop", ["违章搭建", "私搭乱建", "楼顶违建", "顶楼搭建阳光房"], [
        "{p}有住户在楼顶私自搭建彩钢棚", "{p}顶楼有人在搭阳光房，属于违章建筑",
        "有人在{p}楼顶违规加盖铁皮房", "{p}楼顶新搭了一个彩钢瓦棚子，疑似违建"], HOME),
    Issue("0101", "yard_wall", ["违规圈地", "私自砌围墙", "侵占公共绿地"], [
        "{p}一楼住户把公共绿地圈起来砌了围墙", "{p}有人私自砌墙占用小区公共绿化",
        "一楼住户在{p}擅自扩建院子，把绿化带围进去了"], HOME),
    Issue("0102", "bin_overflow", ["垃圾桶满溢", "垃圾未清运", "暴露垃圾", "垃圾满了没人收"], [
        "{p}的垃圾桶满了，垃圾溢出来堆在地上", "{p}垃圾箱已经满溢，好几天没人来清运",
        "{p}垃圾桶装不下了，垃圾袋扔得到处都是", "垃圾清运不及时，{p}垃圾桶旁边堆满了垃圾",
        "{p}那几个垃圾桶早就满了，垃圾散落一地"]),
    Issue("0102", "pile", ["路边堆放垃圾", "乱倒垃圾", "垃圾乱堆"], [
        "{p}路边有人乱倒生活垃圾，堆了一大堆", "有人把生活垃圾倒在{p}的空地上",
        "{p}空地上堆满了垃圾袋和废纸箱", "{p}边上有一堆生活垃圾没人处理"]),
    Issue("0102", "dead_animal", ["动物尸体", "死狗未清理", "死猫没人处理"], [
        "{p}路边有一只死狗，已经发臭了", "{p}有动物尸体没人清理",
        "{p}人行道上躺着一只死猫，没人收拾"], ANY_STREET),
    Issue("0103", "renovation", ["装修垃圾乱堆", "建筑垃圾", "装修垃圾未清运"], [
        "{p}有人把装修垃圾堆在楼道口", "{p}楼下堆着一堆装修拆下来的砖块和水泥块",
        "{p}有住户装修，建筑垃圾一直堆在路边不清运"], HOME),
    Issue("0103", "muck_truck", ["渣土抛洒", "渣土车撒漏", "路面泥土"], [
        "渣土车经过{p}时沿路撒了很多泥土", "{p}路面被渣土车撒了一路的泥",
        "{p}有渣土车抛洒滴漏，路面全是泥块"], ("crossing",)),
    Issue("0104", "mud", ["路面污染", "路面泥浆", "道路不洁"], [
        "{p}路面上全是泥浆没人打扫", "{p}地面很脏，泥水一大片", "{p}路面污渍严重，环卫没有清扫"],
        ANY_STREET),
    Issue("0104", "leaves", ["落叶未清扫", "路面纸屑多", "道路保洁不到位"], [
        "{p}人行道上落叶和纸屑很多没人扫", "{p}路面上都是落叶垃圾，保洁不到位",
        "{p}几天没人扫地了，树叶纸屑一地"], ANY_STREET),
    Issue("0107", "burn_trash", ["焚烧垃圾", "露天焚烧", "烧垃圾冒烟"], [
        "{p}有人在露天焚烧垃圾，黑烟很大", "有人在{p}烧垃圾，烟味很呛",
        "{p}空地上有人点火烧塑料垃圾"], ("village", "block", "crossing")),
    Issue("0107", "burn_straw", ["焚烧秸秆", "烧树叶杂草"], [
        "{p}有人在田里烧秸秆", "{p}有村民焚烧树叶杂草，烟很大", "{p}田边在烧稻草，烟雾弥漫"],
        RURAL),
    Issue("0201", "poster", ["小广告", "乱贴小广告", "牛皮癣广告"], [
        "{p}墙上和电线杆上贴满了办证小广告", "{p}的墙面被贴了很多开锁通下水道的小广告",
        "{p}电线杆上小广告密密麻麻"], ("crossing", "block", "landmark")),
    Issue("0201", "spray", ["喷涂电话号码", "乱涂乱画"], [
        "{p}地面上被人喷涂了很多电话号码", "有人在{p}墙上乱喷办证电话"],
        ("crossing", "block", "landmark")),
    Issue("0302", "night_work", ["夜间施工扰民", "施工噪音", "半夜施工"], [
        "{p}工地晚上十一点多还在施工，噪音很大", "{p}的工地半夜还在打桩，吵得睡不着",
        "{p}施工队夜里作业，机器声音很响"], ("crossing", "landmark", "block")),
    Issue("0302", "dust", ["施工扬尘", "工地扬尘"], [
        "{p}工地没有洒水，扬尘很大", "{p}施工现场灰尘漫天，没有围挡覆盖"],
        ("crossing", "landmark")),
    Issue("0303", "hoarding", ["施工占道", "围挡占道"], [
        "{p}施工围挡占了一半车道", "{p}施工材料堆在路上，占用了人行道",
        "{p}工地围挡把人行道全部围住了，行人只能走机动车道"], ("crossing", "shop")),
    Issue("0403", "pothole", ["路面塌陷", "路面出现大坑", "地面下沉"], [
        "{p}路面塌陷出现一个大坑", "{p}马路中间塌了一个坑，车子开过去很危险",
        "{p}路面下沉开裂，有个坑越来越大"], ("crossing", "shop")),
    Issue("0404", "water_main", ["自来水管破裂", "水管爆裂", "水管漏水"], [
        "{p}地下自来水管破了，水一直往外冒", "{p}水管爆裂，路面全是水",
        "{p}路边有水管漏水，哗哗地流"], ("crossing", "shop", "block")),
    Issue("0404", "gas_main", ["燃气管道泄漏", "闻到燃气味", "天然气管道漏气"], [
        "{p}燃气管道漏气，闻到很浓的煤气味", "{p}附近有很重的天然气味道，怀疑管道泄漏",
        "{p}燃气管道被挖破了，有气体冒出来"], ("crossing", "shop", "block")),
    Issue("0501", "fruit_stall", ["水果摊占道", "占道卖水果", "占道经营"], [
        "{p}有水果摊把摊位摆到了人行道上", "{p}卖水果的占道经营，行人都走不过去",
        "{p}水果店把水果箱堆在人行道上卖"], ANY_STREET),
    Issue("0501", "shop_goods", ["出店经营", "店外经营", "商品占道"], [
        "{p}店铺把货物摆到门口人行道上", "{p}好几家店出店经营，人行道被货架占满",
        "{p}商家在门外摆放商品占用人行道"], ("shop", "crossing")),
    Issue("0501", "bbq", ["烧烤摊占道", "夜宵摊占道", "露天烧烤"], [
        "{p}晚上有烧烤摊摆到路上，油烟很大", "{p}夜宵摊占道经营，桌子摆到马路上",
        "{p}路边露天烧烤，占了半条路"], ANY_STREET),
    Issue("0502", "fire_lane", ["占用消防通道", "消防通道停车"], [
        "{p}消防通道被私家车堵住了", "{p}有车辆长期停在消防通道上",
        "{p}的消防通道停满了车，消防车进不去"], ("block", "landmark")),
    Issue("0502", "ebikes", ["电动车乱停", "非机动车乱停放"], [
        "{p}电动车乱停乱放，把盲道都占了", "{p}人行道上停满了电动车和自行车，路都走不通"],
        ANY_STREET),
    Issue("0503", "hawker", ["流动摊贩", "三轮车卖菜", "流动摊点"], [
        "{p}有流动摊贩骑三轮车卖菜", "{p}每天早上都有流动摊贩聚集卖东西",
        "{p}有人推着小车沿街叫卖"], ANY_STREET),
    Issue("1001", "leak_upstairs", ["楼上漏水", "邻里漏水纠纷"], [
        "{p}楼上卫生间漏水到楼下，双方协商不成", "{p}住户家天花板被楼上渗水泡坏了，楼上不肯维修",
        "{p}楼上楼下因为漏水问题吵起来了"], HOME),
    Issue("1001", "dog", ["养狗扰民", "狗叫扰民"], [
        "{p}邻居家养的狗整夜叫，影响休息", "{p}有住户养了几条大狗，天天叫还随地大小便"], HOME),
    Issue("1101", "ebike_charging", ["飞线充电", "楼道充电", "电动车违规充电"], [
        "{p}有人从楼上拉电线下来给电动车充电", "{p}楼道里停着电动车在充电，存在安全隐患",
        "{p}居民私拉电线飞线充电"], HOME),
    Issue("1101", "blocked_exit", ["安全通道堵塞", "楼道堆放杂物"], [
        "{p}楼道里堆满了杂物和纸箱，安全出口被堵", "{p}消防楼梯堆放了大量杂物"], HOME),
    Issue("1101", "hydrant", ["消防栓损坏", "消火栓漏水"], [
        "{p}的消防栓被撞坏了，一直在漏水", "{p}路边消火栓损坏，盖子都没了"], ANY_STREET),
    Issue("1102", "lpg", ["液化气瓶违规使用", "燃气安全隐患"], [
        "{p}的小饭店在店里违规存放好几个液化气瓶", "{p}饭店里堆了好几个煤气罐，离灶台很近",
        "{p}餐馆后厨液化气钢瓶放了好几个，没有任何防护"], ("shop",)),
    Issue("1103", "cracked_house", ["房屋开裂", "危房", "墙体裂缝"], [
        "{p}的老房子外墙出现很大的裂缝", "{p}有一栋老房子墙体开裂倾斜，担心倒下来",
        "{p}房屋墙面开裂掉渣，存在安全隐患"], ("village", "block")),
    Issue("1104", "traffic_light", ["红绿灯故障", "信号灯不亮"], [
        "{p}的红绿灯坏了，路口很乱", "{p}信号灯不亮，车辆乱行很危险"], ("crossing",)),
    Issue("1104", "guardrail", ["护栏损坏", "隔离栏倒了"], [
        "{p}路中间的隔离护栏被撞倒了", "{p}的护栏损坏倒在路上"], ("crossing",)),
    Issue("1401", "dirty_river", ["河水污染", "偷排污水", "河道发黑"], [
        "{p}河里的水发黑发臭，怀疑有人偷排污水", "{p}有排污口往河里排放黑水，水很臭",
        "{p}河水又黑又臭，好像有管子在往河里排污"], RIVER),
    Issue("1403", "square_dance", ["广场舞扰民", "广场舞噪音"], [
        "{p}广场舞音响开得太大，晚上九点多还在跳", "{p}每天晚上跳广场舞，音响声音太响",
        "{p}跳舞的音乐声太吵了"], ("landmark", "block")),
    Issue("1403", "loudspeaker", ["高音喇叭扰民", "店铺喇叭叫卖"], [
        "{p}的店铺用高音喇叭循环播放促销广告", "{p}商店门口的喇叭一天到晚在喊"], ("shop",)),
    Issue("1404", "dumping", ["偷倒废料", "固废倾倒", "工业垃圾倾倒"], [
        "{p}有人夜里偷偷倾倒工业废料", "{p}空地被倒了很多工业固废", "有车在{p}倾倒不明废渣"],
        ("village", "river")),
    Issue("1601", "manhole", ["井盖缺失", "窨井盖破损", "井盖坏了"], [
        "{p}的窨井盖不见了，很危险", "{p}井盖被偷了，留下一个黑洞", "{p}下水道井盖缺失，只用一根树枝插着"],
        ANY_STREET),
    Issue("1601", "paving", ["人行道砖松动", "人行道破损"], [
        "{p}人行道地砖松动翘起，一踩就溅水", "{p}人行道的砖坏了好几块"], ANY_STREET),
    Issue("1602", "street_light", ["路灯不亮", "路灯故障"], [
        "{p}的路灯坏了，晚上一片漆黑", "{p}有好几盏路灯都不亮了", "{p}路灯晚上不亮，走路很不安全"],
        ("crossing", "block", "village")),
    Issue("1603", "no_water", ["停水", "突然停水", "没水用"], [
        "{p}从早上开始停水了，也没有通知", "{p}今天一直没水，问了物业也不知道原因",
        "{p}突然停水，家里没水做饭"], HOME),
    Issue("1701", "flooding", ["路面积水", "积水内涝", "下雨积水"], [
        "{p}一下雨就积水，水深到膝盖", "{p}路面积水很深，车辆没法通行", "{p}排水不畅，雨后积水严重"],
        ("crossing", "landmark")),
]  # fmt: skip

DETAILS: dict[str, list[str]] = {
    "01": ["味道很臭", "苍蝇很多", "影响周边居民生活", "已经好几天了", "路过的人都捂着鼻子",
           "影响市容"],
    "02": ["很影响市容", "刚清理过又贴上了", "已经好久了"],
    "03": ["影响附近居民休息", "已经持续一个多星期", "老人小孩都受影响"],
    "04": ["晚上看不清很危险", "已经有电动车摔倒了", "情况比较紧急", "周边居民很担心"],
    "05": ["行人只能走机动车道", "早晚高峰特别堵", "影响通行", "多次劝说无效"],
    "10": ["双方情绪比较激动", "已经闹了好几次", "希望社区出面调解"],
    "11": ["存在安全隐患", "一旦出事后果严重", "住户很担心"],
    "14": ["周边居民意见很大", "气味很难闻", "已经持续几天了"],
    "16": ["给居民生活带来不便", "老人出行很不方便", "已经好几天了"],
    "17": ["车辆熄火在水里", "行人无法通过"],
    "1403": ["晚上根本睡不着", "老人小孩都受影响", "已经持续很久了"],
    "1001": ["双方情绪比较激动", "已经闹了好几次", "希望社区出面调解"],
}  # fmt: skip

TYPOS = [("垃圾", "拉圾"), ("井盖", "井概"), ("噪音", "燥音"), ("堆放", "堆方"), ("积水", "级水"),
         ("施工", "施功"), ("扰民", "扰明"), ("消防", "肖防"), ("通道", "通到"), ("破裂", "破列"),
         ("占道", "站道"), ("污染", "污然"), ("路灯", "路登")]  # fmt: skip

# Categories a reporter may pick for the same issue: a sibling 小类 (same 大类) or another 大类.
SIBLING = {"0102": "0104", "0104": "0102", "0103": "0102", "0501": "0503", "0503": "0501",
           "1101": "1102", "0302": "0303", "1601": "1104"}  # fmt: skip
OTHER_CLASS = {"0102": "1404", "0107": "1402", "0302": "1403", "1403": "0302", "0404": "1603",
               "1101": "0502"}  # fmt: skip

# --- writers ------------------------------------------------------------------------------------

STYLES = ("app", "hotline", "grid")


def render(rng: random.Random, style: str, place: Place, form: str, issue: Issue, phrasing: str,
           details: int, short: bool) -> tuple[str, str]:  # fmt: skip
    """(title, description) of one report of `issue` at `place`, as `style` writes it."""
    core = phrasing.format(p=form)
    pool = DETAILS.get(issue.category) or DETAILS.get(issue.category[:2], ["影响很大"])
    extra = rng.sample(pool, k=details)
    title_word = rng.choice(issue.titles)
    if style == "app":
        title = rng.choice([title_word, title_word, "", f"{form}{title_word}"])
        body = core + ("，" + "，".join(extra) if extra else "")
        tail = rng.choice(
            ["", "，有没有人管管？", "，麻烦尽快处理一下，谢谢！", "，希望早点解决", "！！"]
        )
        description = rng.choice(["", "你好，", "麻烦反映一下，"]) * (not short) + body + tail
    elif style == "hotline":
        about = f"关于{form}{title_word}的问题" if len(form) <= 10 else f"关于{title_word}的问题"
        title = rng.choice([title_word, about, f"反映{title_word}问题"])
        head = rng.choice(
            ["市民来电反映：", "来电人反映：", "诉求人称，", "市民来电称，", "来电人表示，"]
        )
        plea = rng.choice(["希望相关部门尽快处理。", "请相关部门核实处理。", "要求尽快解决。",
                           "望有关部门尽快处置。", "诉求：尽快处理。"])  # fmt: skip
        body = core + ("，" + "，".join(extra) if extra else "")
        description = head + body + "，" + plea if not short else head + body + "。"
    else:
        title = rng.choice([f"{form}{title_word}", title_word, f"{place.forms[0]}{title_word}"])
        head = rng.choice(
            ["网格员巡查发现：", "巡查中发现", "日常巡查发现", "今日巡查时发现", "经现场查看，"]
        )
        tail = rng.choice(
            ["已拍照上报。", "请相关部门处置。", "已现场劝导，需执法部门处理。", "已上报。", "。"]
        )
        body = core + ("，" + "，".join(extra) if extra else "")
        description = head + body + ("，" + tail if tail != "。" else tail)
    if short:
        description = description if style == "hotline" else core
    return title, description


def typo(rng: random.Random, text: str) -> str:
    present = [(a, b) for a, b in TYPOS if a in text]
    if not present:
        return text
    a, b = rng.choice(present)
    return text.replace(a, b, 1)


@dataclass
class Report:
    category: str
    lon: float
    lat: float
    created: int
    title: str
    description: str


def write_report(rng: random.Random, place: Place, issue: Issue, *, style: str | None = None,
                 form: str | None = None, phrasing: str | None = None, details: int | None = None,
                 short: bool = False, category: str | None = None, lon: float | None = None,
                 lat: float | None = None, created: int = T0) -> Report:  # fmt: skip
    title, description = render(
        rng,
        style or rng.choice(STYLES),
        place,
        form or rng.choice(place.forms),
        issue,
        phrasing or rng.choice(issue.phrasings),
        rng.choice([0, 0, 1, 1, 2]) if details is None else details,
        short,
    )
    return Report(category or issue.category, place.lon if lon is None else lon,
                  place.lat if lat is None else lat, created, title, description)  # fmt: skip


def two_of(rng: random.Random, items: list) -> tuple:
    return tuple(rng.sample(items, 2)) if len(items) > 1 else (items[0], items[0])


def issue_for(rng: random.Random, kind: str | None = None) -> tuple[Issue, Place]:
    issue = rng.choice(ISSUES)
    return issue, random_place(rng, kind or rng.choice(issue.places))


def hours(rng: random.Random, low: float, high: float, mean: float) -> int:
    """Seconds: an exponential number of hours with `mean`, kept within [low, high]."""
    return int(3600 * min(high, max(low, rng.expovariate(1 / mean))))


# --- pairs --------------------------------------------------------------------------------------


def same_issue(rng: random.Random, kind: str) -> tuple[Report, Report]:
    """Two reporters, one issue. `kind`: plain, detail, typo, sibling, other_class, far_geocode."""
    if kind in ("sibling", "other_class"):
        mapping = SIBLING if kind == "sibling" else OTHER_CLASS
        issue = rng.choice([i for i in ISSUES if i.category in mapping])
        place = random_place(rng, rng.choice(issue.places))
    else:
        issue, place = issue_for(rng)
    form_a, form_b = two_of(rng, place.forms)
    phrase_a, phrase_b = two_of(rng, issue.phrasings)
    style_a, style_b = two_of(rng, list(STYLES))
    dt = hours(rng, 0.1, 70, 12)
    b = write_report(rng, place, issue, style=style_b, form=form_b, phrasing=phrase_b,
                     created=T0 - dt)  # fmt: skip
    metres = abs(rng.gauss(0, 35)) if style_a != "hotline" else rng.uniform(20, 90)
    metres = min(metres, 90.0)
    category = None
    short = False
    details = None
    if kind == "detail":
        short, details = rng.random() < 0.5, 2
    elif kind == "sibling":
        category = SIBLING.get(issue.category)
    elif kind == "other_class":
        category = OTHER_CLASS.get(issue.category)
    elif kind == "far_geocode":
        metres = rng.uniform(130, 250)
    lon, lat = offset(rng, place.lon, place.lat, metres)
    a = write_report(rng, place, issue, style=style_a, form=form_a, phrasing=phrase_a,
                     category=category, short=short, details=details, lon=lon, lat=lat)  # fmt: skip
    if kind == "detail" and not short:
        b = write_report(rng, place, issue, style=style_b, form=form_b, phrasing=phrase_b,
                         short=True, details=0, created=b.created)  # fmt: skip
    if kind == "typo":
        a.description = typo(rng, a.description)
        a.title = typo(rng, a.title)
    return a, b


def different_issue(rng: random.Random, kind: str) -> tuple[Report, Report]:
    """Two reports of different issues. `kind`: other_class, same_class, other_place,
    next_door, days_later."""
    issue, place = issue_for(rng)
    dt = hours(rng, 0.1, 60, 10)
    if kind in ("other_class", "same_class"):
        fits = [
            i for i in ISSUES
            if place.kind in i.places and i.name != issue.name
            and (i.category[:2] != issue.category[:2]) == (kind == "other_class")
        ]  # fmt: skip
        if not fits:
            return different_issue(rng, kind)
        other = rng.choice(fits)
        b = write_report(rng, place, other, created=T0 - dt)
        lon, lat = offset(rng, place.lon, place.lat, abs(rng.gauss(0, 25)))
        return write_report(rng, place, issue, lon=lon, lat=lat), b
    if kind == "other_place":
        elsewhere = random_place(rng, place.kind)
        elsewhere.lon, elsewhere.lat = offset(rng, place.lon, place.lat, rng.uniform(150, 900))
        b = write_report(rng, elsewhere, issue, created=T0 - dt)
        return write_report(rng, place, issue), b
    if kind == "next_door":
        if place.kind not in ("block", "shop"):
            fits = [i for i in ISSUES if set(i.places) & {"block", "shop"}]
            issue = rng.choice(fits)
            place = random_place(
                rng, rng.choice([k for k in issue.places if k in ("block", "shop")])
            )
        near = neighbour(rng, place, rng.uniform(40, 95))
        b = write_report(rng, near, issue, created=T0 - dt)
        return write_report(rng, place, issue), b
    # days_later: the same issue at the same place again, after the first was dealt with.
    b = write_report(rng, place, issue, created=T0 - hours(rng, 80, 400, 150))
    lon, lat = offset(rng, place.lon, place.lat, abs(rng.gauss(0, 20)))
    return write_report(rng, place, issue, lon=lon, lat=lat), b


# What the pairs are made of: (label, kind, how many).
PLAN = [
    (1, "plain", 110), (1, "detail", 35), (1, "typo", 30), (1, "sibling", 12),
    (1, "other_class", 5), (1, "far_geocode", 5),
    (0, "other_class", 45), (0, "same_class", 70), (0, "other_place", 30), (0, "next_door", 30),
    (0, "days_later", 25),
]  # fmt: skip

# Hand-written hard cases: (label, kind, category a, category b, metres apart, hours apart,
# title a, description a, title b, description b).
HARD_CASES = [
    (1, "hard_same", "1601", "1601", 15, 3, "井盖坏了", "阳光花园3幢门口下水道盖子碎了，有个大洞，小孩子掉下去怎么办",
     "窨井盖破损", "巡查发现阳光花园小区3号楼前窨井盖破损，已设置警示，请市政部门维修。"),
    (1, "hard_same", "0404", "0404", 40, 1, "煤气味很重", "太平路88号附近一股煤气味，是不是管子漏了？",
     "燃气管道泄漏", "市民来电反映：太平路八十八号附近有很重的天然气味道，怀疑燃气管道泄漏，希望燃气公司尽快派人查看。"),
    (1, "hard_same", "1602", "1602", 30, 20, "", "荣昌路这一段晚上黑漆漆的，灯都坏了",
     "路灯不亮", "来电人反映：荣昌路与兴龙路交叉口往北一段路灯全部不亮，夜间出行不安全，请相关部门维修。"),
    (1, "hard_same", "0501", "0503", 25, 5, "占道经营", "东门菜场门口卖菜的都摆到马路上了",
     "流动摊贩", "东门菜场东门外有流动摊贩占道卖菜，堵塞交通，已劝离，反复回潮。"),
    (1, "hard_same", "0102", "0102", 60, 30, "垃圾", "垃圾好多",
     "暴露垃圾", "人民广场西侧垃圾桶满溢，周边散落生活垃圾，请环卫清运。"),
    (1, "hard_same", "1403", "1403", 20, 26, "太吵了", "每天晚上人民广场跳舞放音乐吵得孩子没法写作业！！！",
     "广场舞噪音扰民", "诉求人称，人民广场北侧每晚有广场舞，音响音量过大，影响周边居民休息，要求管理。"),
    (1, "hard_same", "0502", "0502", 10, 2, "消防通道被堵", "锦绣家园5栋后面消防通道停了一辆白色轿车，浙H牌照",
     "占用消防通道", "锦绣家园小区5幢北侧消防通道被白色小轿车占用，已联系物业。"),
    (1, "hard_same", "1701", "1701", 70, 4, "积水", "兴龙路龙洲路口水淹了，电动车过不去",
     "路面积水严重", "网格员巡查发现：龙洲路与兴龙路交叉口雨后积水深约30厘米，车辆通行困难，请排水部门处置。"),
    (1, "hard_same", "1101", "1101", 5, 12, "飞线充电", "华岗新村12幢三楼有人从窗户吊电线下来充电瓶车",
     "电动车飞线充电", "华岗新村12幢住户私拉电线为电动自行车充电，存在火灾隐患，已劝导。"),
    (1, "hard_same", "0107", "0107", 80, 1, "烧东西", "下埠头村三组那边有人在烧塑料，黑烟冒得老高，臭死了",
     "露天焚烧垃圾", "下埠头村3组村口空地有人焚烧生活垃圾，现场浓烟较大，已现场制止。"),
    (1, "hard_same", "1001", "1001", 0, 48, "邻居漏水", "桂花苑8幢402漏水到302，302天花板都发霉了，楼上不管",
     "邻里纠纷", "来电人反映：桂花苑8幢302室住户称楼上402卫生间漏水，协商未果，希望社区调解。"),
    (1, "hard_same", "0303", "0303", 45, 8, "", "文化路工地把人行道全围了，只能走到马路上去，太危险了",
     "施工围挡占道", "文化路实验小学段施工围挡占用人行道，行人需绕行机动车道，存在安全隐患。"),
    (1, "hard_same", "0403", "0403", 35, 6, "路上有个大坑", "城中路靠近客运中心的地方路塌了一个坑",
     "路面塌陷", "客运中心北侧城中路路面塌陷，坑深约半米，已放置锥桶。"),
    (1, "hard_same", "0201", "0201", 20, 40, "小广告", "翠光路与人民路口那几根电线杆上全是办证、开锁的广告",
     "牛皮癣", "人民路翠光路路口电杆张贴大量办证开锁类小广告，请城管清理。"),
    (1, "hard_same", "1103", "1103", 25, 18, "房子要塌了", "团石村5组有户老房子墙裂开了，下雨天很危险",
     "房屋安全隐患", "团石村五组一处老旧房屋墙体出现贯穿性裂缝，雨季存在倒塌风险，建议尽快鉴定。"),
    (1, "hard_same", "0302", "0302", 50, 1, "半夜施工", "凤凰城旁边工地十二点了还在打桩！！！睡不着",
     "夜间施工扰民", "市民来电反映：凤凰城小区东侧工地夜间施工，噪声扰民，希望执法部门查处。"),
    (1, "hard_same", "1404", "1401", 60, 10, "河边倒垃圾", "衢江大桥下面有车倒了一车黑乎乎的渣子，流到江里了",
     "河道污染", "衢江衢江大桥段岸边被倾倒不明废渣，部分进入水体，请环保部门调查。"),
    (1, "hard_same", "0102", "1404", 30, 6, "乱倒垃圾", "星火村2组村口空地被人倒了好多垃圾",
     "固废倾倒", "星火村二组村口有人倾倒废弃物，堆积较多，已拍照上报。"),
    (1, "hard_same", "0404", "0404", 90, 2, "水管爆了", "龙翔路上水管爆了，水喷得老高",
     "供水管道破裂", "龙翔路与东华路交叉口西侧供水管道爆裂，路面大量积水，请水务公司抢修。"),
    (1, "hard_same", "1104", "1104", 15, 3, "红绿灯不亮", "新城大道阳光大道路口红绿灯全灭了，车都乱开",
     "信号灯故障", "阳光大道与新城大道交叉口信号灯故障，交通秩序混乱，请交警处置。"),
    (0, "hard_diff", "1101", "1101", 5, 6, "楼道堆放杂物", "华岗新村12幢楼道里全是纸箱旧家具，出不去",
     "飞线充电", "华岗新村12幢住户私拉电线为电动自行车充电，存在火灾隐患，已劝导。"),
    (0, "hard_diff", "0404", "0404", 60, 5, "水管漏水", "太平路88号门口自来水管漏水，路上都是水",
     "燃气管道泄漏", "市民来电反映：太平路88号附近有很重的天然气味道，怀疑燃气管道泄漏，希望燃气公司尽快派人查看。"),
    (0, "hard_diff", "0501", "0501", 10, 3, "烧烤摊占道", "荣昌路太平路口晚上烧烤摊把桌子摆到马路上",
     "水果摊占道", "荣昌路与太平路交叉口有水果摊把摊位摆到了人行道上，影响通行。"),
    (0, "hard_diff", "0102", "0102", 70, 4, "垃圾桶满了", "阳光花园5幢楼下垃圾桶满了，垃圾都溢出来了",
     "垃圾桶满溢", "阳光花园8幢旁边垃圾桶满溢，周边散落生活垃圾，请物业清运。"),
    (0, "hard_diff", "1602", "1602", 20, 30, "路灯不亮", "团石村3组村道上的路灯坏了",
     "路灯不亮", "团石村7组村口路灯不亮，夜间出行不便。"),
    (0, "hard_diff", "1601", "1601", 30, 10, "井盖缺失", "人民路12号门口窨井盖不见了",
     "人行道砖松动", "人民路12号门口人行道地砖松动，下雨天踩上去溅一身水。"),
    (0, "hard_diff", "0502", "0502", 15, 2, "电动车乱停", "锦绣家园5栋楼下电动车乱停，堵住了单元门",
     "消防通道被堵", "锦绣家园小区5幢北侧消防通道被白色小轿车占用，已联系物业。"),
    (0, "hard_diff", "1403", "1403", 40, 20, "广场舞太吵", "人民广场晚上跳广场舞音响太响",
     "高音喇叭扰民", "人民广场南侧华联超市门口用高音喇叭循环播放促销广告，噪音很大。"),
    (0, "hard_diff", "0302", "0302", 30, 6, "工地扬尘", "凤凰城旁边工地灰太大了，衣服都不敢晒",
     "夜间施工扰民", "市民来电反映：凤凰城小区东侧工地夜间施工，噪声扰民，希望执法部门查处。"),
    (0, "hard_diff", "1001", "1001", 0, 24, "狗叫扰民", "桂花苑8幢402养的狗天天叫",
     "邻里漏水纠纷", "来电人反映：桂花苑8幢302室住户称楼上402卫生间漏水，协商未果，希望社区调解。"),
    (0, "hard_diff", "0102", "0104", 50, 3, "死猫", "人民广场西侧人行道上有只死猫",
     "道路保洁不到位", "人民广场西侧人行道落叶纸屑较多，保洁不到位。"),
    (0, "hard_diff", "1701", "1701", 95, 2, "积水", "兴龙路桥洞下面积水很深",
     "路面积水", "龙洲路与兴龙路交叉口往南200米低洼处积水，车辆通行困难。"),
    (0, "hard_diff", "0103", "0103", 35, 5, "装修垃圾", "东方名苑3幢楼道口堆满装修垃圾",
     "渣土抛洒", "东方名苑门口城中路上渣土车撒了一路泥，路面很脏。"),
    (0, "hard_diff", "1101", "1101", 25, 10, "消防栓漏水", "龙游商城北门消防栓一直在漏水",
     "安全出口堵塞", "龙游商城北门安全出口被商户货物堵住，存在消防隐患。"),
    (0, "hard_diff", "0201", "0201", 60, 12, "墙上喷电话", "翠光路人民路口墙上被喷了办证电话",
     "小广告", "翠光路与人民路口电线杆上贴满了开锁小广告。"),
    (0, "hard_diff", "0501", "0501", 40, 30, "出店经营", "西门街56号五金店把货摆到人行道上",
     "出店经营", "西门街88号服装店门口摆放衣架占用人行道。"),
    (0, "hard_diff", "1103", "1103", 70, 48, "墙体开裂", "溪口村2组老房子外墙开裂",
     "危房", "溪口村6组一处危房屋顶坍塌一角，无人居住。"),
    (0, "hard_diff", "0404", "0404", 30, 20, "水管爆裂", "城北小区7幢门口水管爆裂",
     "燃气泄漏", "城北小区7幢门口燃气管道被施工挖破，有气体冒出。"),
    (0, "hard_diff", "1603", "1603", 10, 26, "停水", "清溪苑今天一天都没水",
     "水压低", "清溪苑高层住户反映水压低，十楼以上用水困难，已持续一个月。"),
    (0, "hard_diff", "0107", "0107", 80, 3, "烧秸秆", "高塘村4组田里有人烧稻草",
     "焚烧垃圾", "高塘村4组村口有人焚烧塑料垃圾，黑烟较大。"),
]  # fmt: skip


def hard_pairs(rng: random.Random) -> list[tuple[int, str, Report, Report]]:
    rows = []
    for label, kind, cat_a, cat_b, metres, dt_h, ta, da, tb, db in HARD_CASES:
        place = random_place(rng, "crossing")
        lon, lat = offset(rng, place.lon, place.lat, metres)
        b = Report(cat_b, place.lon, place.lat, T0 - int(dt_h * 3600), tb, db)
        rows.append((label, kind, Report(cat_a, lon, lat, T0, ta, da), b))
    return rows


def fields(r: Report) -> list:
    return [r.category, f"{r.lon:.6f}", f"{r.lat:.6f}", r.created, r.title, r.description]


def main() -> None:
    rng = random.Random(SEED)
    rows: list[tuple[int, str, Report, Report]] = []
    for label, kind, count in PLAN:
        make = same_issue if label else different_issue
        for _ in range(count):
            a, b = make(rng, kind)
            rows.append((label, kind, a, b))
    rows += hard_pairs(rng)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["pair_id", "label", "kind", "category_a", "lon_a", "lat_a", "created_a",
                      "title_a", "description_a", "category_b", "lon_b", "lat_b", "created_b",
                      "title_b", "description_b"])  # fmt: skip
        for i, (label, kind, a, b) in enumerate(rows, start=1):
            out.writerow([i, label, kind, *fields(a), *fields(b)])
    positives = sum(r[0] for r in rows)
    print(f"wrote {len(rows)} pairs ({positives} same issue, {len(rows) - positives} not) to {OUT}")


if __name__ == "__main__":
    main()
