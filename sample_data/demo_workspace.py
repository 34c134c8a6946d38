"""Generate the demo workspace: a year of supplier-quality data of one plant, as CSV files.

Twelve months, 2025-11 to 2026-10 (the demo month is 2026-10, "today" is 2026-10-31), for 40
suppliers: master data, parts with specification limits, certificates, deliveries, incoming
inspections, suppliers' SPC measurements, customer complaints, audits, price reductions, PPAP,
ESG figures, improvement projects, MES lot genealogy and shipments to customers. Each file is
written as the system that exports it would (the ERP in English, the IQC system and MES in
Chinese, suppliers in their own language), and validates cleanly against ``rules/specs``.

The data tell a story that later features can be demonstrated on; it is described, with the
exact ids, in ``sample_data/workspace/README.md``. Everything is deterministic (string-seeded
``random.Random`` per section, standard library only), so the committed files can be checked
byte for byte against a fresh run. Regenerate them with::

    uv run python sample_data/demo_workspace.py sample_data/workspace
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20261031
START = date(2025, 11, 1)
TODAY = date(2026, 10, 31)  # last day of the demo month
MES_GO_LIVE = date(2025, 11, 10)  # first day with lot genealogy
SPC_FROM = date(2026, 5, 1)  # suppliers send SPC data for lots delivered from here on
HOLIDAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2026-01-01",
        "2026-01-02",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
        "2026-02-23",
        "2026-04-06",
        "2026-05-01",
        "2026-05-04",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-02",
    )
)

# --- the story ------------------------------------------------------------------------------
STREAK_SUPPLIER, STREAK_PART, STREAK_CHAR = "S0012", "P-1056", "外径Ø10"
SHIFT_SUPPLIER, SHIFT_PART, SHIFT_CHAR = "S0005", "P-1021", "长度L45"
PPM_RISING = {"S0012": (0.003, 0.007, 0.012, 0.02), "S0035": (0.003, 0.006, 0.01, 0.015)}
LATE_RISING = {"S0027": (0.35, 0.55, 0.75), "S0033": (0.3, 0.5, 0.7)}
DEMO_COMPLAINT, DEMO_FG_LOT, DEMO_FG_PART = "C-2026-017", "FG2610-0042", "P-9001"
DEMO_SA_PART = "P-8001"
CONTAINMENT = date(2026, 10, 21)

# --- master data ----------------------------------------------------------------------------
# id, name, English name, country, city, categories, language, status, e-mail slug
SUPPLIERS: tuple[tuple[str, ...], ...] = (
    ("S0001", "宁波东海精工有限公司", "Ningbo Donghai Precision Engineering Co., Ltd.",
     "CN", "宁波", "机加工件", "zh", "approved", "donghai"),
    ("S0002", "昆山瑞丰五金制品有限公司", "Kunshan Ruifeng Hardware Co., Ltd.",
     "CN", "昆山", "冲压件", "zh", "approved", "ruifeng"),
    ("S0003", "台州恒通铸造有限公司", "Taizhou Hengtong Foundry Co., Ltd.",
     "CN", "台州", "铸件", "zh", "approved", "hengtong"),
    ("S0004", "常州金利弹簧有限公司", "Changzhou Jinli Spring Co., Ltd.",
     "CN", "常州", "弹簧", "zh", "approved", "jinli"),
    ("S0005", "无锡华晟机械有限公司", "Wuxi Huasheng Machinery Co., Ltd.",
     "CN", "无锡", "机加工件;锻件", "zh", "approved", "huasheng"),
    ("S0006", "东莞新宇塑胶制品有限公司", "Dongguan Xinyu Plastic Products Co., Ltd.",
     "CN", "东莞", "注塑件", "zh", "approved", "xinyu"),
    ("S0007", "ACME Fasteners GmbH", "ACME Fasteners GmbH",
     "DE", "Stuttgart", "紧固件", "en", "approved", "acme"),
    ("S0008", "嘉兴永固紧固件有限公司", "Jiaxing Yonggu Fasteners Co., Ltd.",
     "CN", "嘉兴", "紧固件", "zh", "approved", "yonggu"),
    ("S0009", "重庆长鑫压铸有限公司", "Chongqing Changxin Die Casting Co., Ltd.",
     "CN", "重庆", "压铸件", "zh", "approved", "changxin"),
    ("S0010", "宁波海晨压铸有限公司", "Ningbo Haichen Die Casting Co., Ltd.",
     "CN", "宁波", "压铸件", "zh", "approved", "haichen"),
    ("S0011", "青岛正和橡胶制品有限公司", "Qingdao Zhenghe Rubber Products Co., Ltd.",
     "CN", "青岛", "橡胶件;密封件", "zh", "approved", "zhenghe"),
    ("S0012", "苏州华东精密机械有限公司", "Suzhou Huadong Precision Machinery Co., Ltd.",
     "CN", "苏州", "机加工件;冲压件", "zh", "approved", "huadong"),
    ("S0013", "深圳华信电子有限公司", "Shenzhen Huaxin Electronics Co., Ltd.",
     "CN", "深圳", "电子元器件", "zh", "approved", "huaxin"),
    ("S0014", "天津中诚密封件有限公司", "Tianjin Zhongcheng Seals Co., Ltd.",
     "CN", "天津", "密封件", "zh", "approved", "zhongcheng"),
    ("S0015", "杭州万通线束有限公司", "Hangzhou Wantong Wiring Harness Co., Ltd.",
     "CN", "杭州", "线束", "zh", "approved", "wantong"),
    ("S0016", "上海申江漆包线有限公司", "Shanghai Shenjiang Enamelled Wire Co., Ltd.",
     "CN", "上海", "漆包线", "zh", "approved", "shenjiang"),
    ("S0017", "温州精锐五金有限公司", "Wenzhou Jingrui Hardware Co., Ltd.",
     "CN", "温州", "冲压件;紧固件", "zh", "approved", "jingrui"),
    ("S0018", "Nordic Bearings AB", "Nordic Bearings AB",
     "SE", "Göteborg", "轴承", "en", "approved", "nordicbearings"),
    ("S0019", "佛山南方粉末冶金有限公司", "Foshan Nanfang Powder Metallurgy Co., Ltd.",
     "CN", "佛山", "粉末冶金件", "zh", "conditional", "nanfang"),
    ("S0020", "合肥新源电机有限公司", "Hefei Xinyuan Motor Co., Ltd.",
     "CN", "合肥", "电机", "zh", "approved", "xinyuan"),
    ("S0021", "厦门嘉华塑胶模具有限公司", "Xiamen Jiahua Plastic & Mould Co., Ltd.",
     "CN", "厦门", "注塑件", "zh", "approved", "jiahua"),
    ("S0022", "扬州金泰轴承有限公司", "Yangzhou Jintai Bearing Co., Ltd.",
     "CN", "扬州", "轴承", "zh", "approved", "jintai"),
    ("S0023", "大连德尔塔精密部件有限公司", "Dalian Delta Precision Components Co., Ltd.",
     "CN", "大连", "机加工件", "zh", "approved", "delta"),
    ("S0024", "绍兴宏达包装材料有限公司", "Shaoxing Hongda Packaging Materials Co., Ltd.",
     "CN", "绍兴", "包装材料", "zh", "approved", "hongda"),
    ("S0025", "武汉光谷传感器技术有限公司", "Wuhan Guanggu Sensor Technology Co., Ltd.",
     "CN", "武汉", "传感器;电子元器件", "zh", "approved", "guanggu"),
    ("S0026", "Lakeshore Electronics Inc.", "Lakeshore Electronics Inc.",
     "US", "Cleveland", "电子元器件", "en", "approved", "lakeshore"),
    ("S0027", "芜湖远航橡塑制品有限公司", "Wuhu Yuanhang Rubber & Plastic Products Co., Ltd.",
     "CN", "芜湖", "橡胶件;注塑件", "zh", "approved", "yuanhang"),
    ("S0028", "长春北方锻造有限公司", "Changchun Beifang Forging Co., Ltd.",
     "CN", "长春", "锻件", "zh", "approved", "bfforging"),
    ("S0029", "泉州顺达弹簧有限公司", "Quanzhou Shunda Spring Co., Ltd.",
     "CN", "泉州", "弹簧", "zh", "approved", "shunda"),
    ("S0030", "成都蓉芯电子有限公司", "Chengdu Rongxin Electronics Co., Ltd.",
     "CN", "成都", "PCB;电子元器件", "zh", "approved", "rongxin"),
    ("S0031", "南通通达冲压件有限公司", "Nantong Tongda Stamping Co., Ltd.",
     "CN", "南通", "冲压件", "zh", "approved", "tongda"),
    ("S0032", "Tanaka Seimitsu Kogyo Co., Ltd.", "Tanaka Seimitsu Kogyo Co., Ltd.",
     "JP", "Hamamatsu", "机加工件", "en", "approved", "tanaka"),
    ("S0033", "济南鲁信密封科技有限公司", "Jinan Luxin Sealing Technology Co., Ltd.",
     "CN", "济南", "密封件", "zh", "approved", "luxin"),
    ("S0034", "郑州中原铝业制品有限公司", "Zhengzhou Zhongyuan Aluminium Products Co., Ltd.",
     "CN", "郑州", "铝型材;压铸件", "zh", "approved", "zhongyuan"),
    ("S0035", "长沙湘江电子科技有限公司", "Changsha Xiangjiang Electronic Technology Co., Ltd.",
     "CN", "长沙", "电子元器件", "zh", "approved", "xiangjiang"),
    ("S0036", "Precision Castings Ltd.", "Precision Castings Ltd.",
     "GB", "Sheffield", "铸件", "en", "approved", "pcastings"),
    ("S0037", "丹阳华丰汽车零部件有限公司", "Danyang Huafeng Auto Parts Co., Ltd.",
     "CN", "丹阳", "冲压件", "zh", "approved", "huafeng"),
    ("S0038", "廊坊恒远橡胶有限公司", "Langfang Hengyuan Rubber Co., Ltd.",
     "CN", "廊坊", "橡胶件", "zh", "suspended", "hengyuan"),
    ("S0039", "沈阳北方精密铸造有限公司", "Shenyang Beifang Precision Casting Co., Ltd.",
     "CN", "沈阳", "铸件", "zh", "approved", "bfcasting"),
    ("S0040", "西安秦川新材料有限公司", "Xi'an Qinchuan New Materials Co., Ltd.",
     "CN", "西安", "注塑件", "zh", "potential", "qinchuan"),
)  # fmt: skip
SUSPENDED_FROM = date(2026, 6, 1)  # S0038 delivers nothing from here on
STATUS_ZH = {
    "approved": "合格",
    "conditional": "有条件合格",
    "suspended": "暂停",
    "potential": "潜在",
}
PERSONS_ZH = (
    "王芳", "李强", "张敏", "刘洋", "陈杰", "杨丽", "赵磊", "黄伟", "周婷", "吴刚", "徐静", "孙浩",
    "马超", "朱琳", "胡斌", "郭鹏", "林娜", "何涛", "高峰", "罗敏", "郑凯", "梁雪", "谢军", "宋佳",
)  # fmt: skip
PERSONS_EN = {
    "S0007": ("Markus Weber", "Sabine Krüger"),
    "S0018": ("Erik Lindqvist", "Anna Berg"),
    "S0026": ("Michael Carter", "Jennifer Lopez-Hall"),
    "S0032": ("Hiroshi Tanaka", "Yuki Sato"),
    "S0036": ("David Hughes", "Emma Clarke"),
}
NO_ENGINEERING_EMAIL = ("S0024", "S0031", "S0037")
NO_MANAGER_EMAIL = ("S0029",)

# A characteristic: name, LSL, USL, nominal, unit, special characteristic (cc / sc / "").
Char = tuple[str, str, str, str, str, str]
# A part template: description, material class, unit price (CNY), characteristics.
Template = tuple[str, str, float, tuple[Char, ...]]

FIXED_PARTS: dict[str, Template] = {
    "P-1056": ("精密轴套", "A", 6.85, (
        ("外径Ø10", "9.95", "10.05", "10.00", "mm", "cc"),
        ("长度L25", "24.90", "25.10", "25.00", "mm", ""),
        ("表面粗糙度Ra", "", "0.8", "", "μm", ""))),
    "P-1057": ("轴承座", "B", 14.20, (
        ("内径Φ20", "20.000", "20.021", "20.000", "mm", "sc"),
        ("孔距L32", "31.95", "32.05", "32.00", "mm", ""))),
    "P-1058": ("垫片", "C", 0.36, (("厚度T1.5", "1.45", "1.55", "1.50", "mm", ""),)),
    "P-1086": ("Deep Groove Ball Bearing 6204-2RS", "A", 18.60, (
        ("Bore Diameter Ø20", "19.9900", "20.0000", "20.0000", "mm", "cc"),
        ("Outer Diameter Ø47", "46.9890", "47.0000", "47.0000", "mm", "sc"),
        ("Radial Clearance", "0.005", "0.020", "", "mm", ""))),
    "P-1111": ("法兰盘", "B", 12.40, (
        ("厚度T8", "7.95", "8.05", "8.00", "mm", "sc"),
        ("螺栓孔位置度", "", "0.10", "", "mm", ""))),
    "P-1021": ("转向节（机加工）", "A", 86.50, (
        ("长度L45", "44.90", "45.10", "45.00", "mm", "cc"),
        ("安装孔径Φ12", "12.000", "12.018", "12.000", "mm", "sc"),
        ("硬度", "28", "34", "31", "HRC", ""))),
    "P-1101": ("防尘罩", "C", 1.85, (
        ("壁厚T2.0", "1.90", "2.10", "2.00", "mm", ""),
        ("内径Φ32", "31.80", "32.20", "32.00", "mm", ""))),
    "P-1051": ("O形圈 23.5×2.5", "B", 0.42, (
        ("内径Φ23.5", "23.30", "23.70", "23.50", "mm", ""),
        ("截面直径Φ2.5", "2.42", "2.58", "2.50", "mm", "sc"),
        ("硬度", "65", "75", "70", "Shore A", ""))),
    "P-1011": ("卡钳体（铸件）", "A", 58.00, (
        ("缸孔直径Φ54", "54.000", "54.030", "54.000", "mm", "cc"),
        ("抗拉强度", "450", "", "", "MPa", "sc"))),
    "P-1176": ("Caliper Bracket", "A", 42.30, (
        ("Guide Pin Bore Ø10", "10.000", "10.036", "10.000", "mm", "cc"),
        ("Flatness", "", "0.05", "", "mm", ""))),
    "P-1066": ("活塞密封圈", "B", 1.20, (
        ("内径Φ54", "53.70", "54.10", "53.90", "mm", "sc"),
        ("压缩永久变形", "", "25", "", "%", ""))),
    "P-1091": ("制动活塞（粉末冶金）", "A", 9.80, (
        ("外径Φ54", "53.960", "53.990", "53.975", "mm", "cc"),
        ("密度", "6.8", "", "", "g/cm³", "sc"))),
    "P-1061": ("霍尔位置传感器", "A", 7.45, (
        ("输出电压", "0.45", "0.55", "0.50", "V", "cc"),
        ("引脚长度L8", "7.80", "8.20", "8.00", "mm", ""))),
    "P-1171": ("水泵驱动板PCBA", "A", 36.80, (
        ("板厚T1.6", "1.44", "1.76", "1.60", "mm", ""),
        ("静态电流", "", "2.0", "", "mA", "cc"))),
    "P-1046": ("泵壳（压铸）", "A", 27.90, (
        ("密封面平面度", "", "0.05", "", "mm", "cc"),
        ("轴承孔Φ22", "22.000", "22.021", "22.000", "mm", "sc"))),
    "P-1006": ("调角器齿板", "A", 4.60, (
        ("厚度T3.0", "2.95", "3.05", "3.00", "mm", "cc"),
        ("齿形位置度", "", "0.08", "", "mm", "sc"))),
    "P-1016": ("涡卷弹簧", "B", 2.15, (
        ("自由角度", "88", "92", "90", "°", ""),
        ("扭矩", "1.8", "2.2", "2.0", "N·m", "sc"))),
    "P-1026": ("调角器手柄", "C", 3.30, (
        ("卡扣拉脱力", "80", "", "", "N", "sc"),
        ("长度L120", "119.5", "120.5", "120.0", "mm", ""))),
    "P-1081": ("卡簧", "C", 0.18, (("厚度T1.2", "1.15", "1.25", "1.20", "mm", ""),)),
    "P-1096": ("尾门撑杆微电机", "A", 48.50, (
        ("空载电流", "", "0.8", "", "A", "cc"),
        ("输出轴径Φ5", "4.990", "5.000", "5.000", "mm", "sc"))),
    "P-1126": ("Hall Sensor IC", "A", 5.90, (
        ("Switching Point", "2.5", "3.5", "3.0", "mT", "cc"),
        ("Lead Length", "14.5", "15.5", "15.0", "mm", ""))),
    "P-1166": ("撑杆铝管", "B", 15.70, (
        ("外径Φ22", "21.90", "22.10", "22.00", "mm", "sc"),
        ("长度L420", "419.0", "421.0", "420.0", "mm", ""))),
    "P-1141": ("撑杆压缩弹簧", "B", 3.85, (
        ("自由长度L380", "376", "384", "380", "mm", ""),
        ("弹簧力F1", "180", "220", "200", "N", "sc"))),
    "P-1071": ("撑杆电机线束", "B", 11.20, (
        ("线束长度L650", "645", "655", "650", "mm", ""),
        ("端子拉脱力", "80", "", "", "N", "sc"))),
    "P-1031": ("Hex Flange Bolt M8x1.25x30", "A", 0.68, (
        ("Pitch Diameter M8x1.25", "7.042", "7.160", "7.101", "mm", "cc"),
        ("Tensile Strength", "1040", "", "", "MPa", "sc"))),
    "P-1036": ("六角法兰螺栓 M10×1.5×35", "A", 0.95, (
        ("中径M10", "9.026", "9.206", "9.116", "mm", "cc"),
        ("抗拉强度", "1040", "", "", "MPa", "sc"))),
    "P-1151": ("水泵安装支架", "C", 2.60, (
        ("厚度T2.5", "2.40", "2.60", "2.50", "mm", ""),
        ("安装孔距L60", "59.8", "60.2", "60.0", "mm", ""))),
    "P-1196": ("电子水泵叶轮", "B", 4.30, (
        ("外径Φ38", "37.90", "38.10", "38.00", "mm", "sc"),
        ("动平衡", "", "0.5", "", "g·mm", ""))),
}  # fmt: skip

TEMPLATES: dict[str, tuple[Template, ...]] = {
    "机加工件": (
        ("传动轴", "A", 23.50, (
            ("外径Ø16", "15.98", "16.00", "16.00", "mm", "cc"),
            ("长度L120", "119.9", "120.1", "120.0", "mm", ""))),
        ("导向销", "B", 1.95, (("外径Ø6", "5.990", "6.000", "6.000", "mm", "sc"),)),
        ("连接套", "C", 3.20, (
            ("内径Φ12", "12.00", "12.05", "12.00", "mm", ""),
            ("长度L18", "17.9", "18.1", "18.0", "mm", ""))),
        ("调整垫圈", "C", 0.55, (("厚度T2.0", "1.95", "2.05", "2.00", "mm", ""),)),
    ),
    "Machining": (
        ("Valve Spool", "A", 31.40, (
            ("Outer Diameter Ø6", "5.994", "6.000", "6.000", "mm", "cc"),
            ("Roundness", "", "0.002", "", "mm", "sc"))),
        ("Guide Sleeve", "B", 12.80, (
            ("Inner Diameter Ø8", "8.000", "8.015", "8.000", "mm", "sc"),)),
        ("Adjusting Shim", "C", 0.75, (("Thickness T1.0", "0.98", "1.02", "1.00", "mm", ""),)),
        ("Pin Ø4", "C", 0.90, (("Outer Diameter Ø4", "3.992", "4.000", "4.000", "mm", ""),)),
    ),
    "冲压件": (
        ("安装支架", "B", 3.40, (
            ("厚度T2.0", "1.90", "2.10", "2.00", "mm", ""),
            ("孔位置度", "", "0.20", "", "mm", "sc"))),
        ("加强板", "C", 2.10, (("厚度T1.5", "1.42", "1.58", "1.50", "mm", ""),)),
        ("卡箍", "C", 0.80, (("内径Φ25", "24.7", "25.3", "25.0", "mm", ""),)),
        ("隔热罩", "C", 5.60, (("高度H35", "34.5", "35.5", "35.0", "mm", ""),)),
    ),
    "铸件": (
        ("轮毂", "A", 64.00, (
            ("中心孔Φ57", "57.000", "57.030", "57.000", "mm", "cc"),
            ("抗拉强度", "450", "", "", "MPa", "sc"))),
        ("支座", "B", 18.90, (("底面平面度", "", "0.10", "", "mm", ""),)),
        ("端盖", "C", 9.40, (("止口Φ80", "79.95", "80.00", "80.00", "mm", ""),)),
    ),
    "Casting": (
        ("Pump Cover", "B", 21.00, (
            ("Spigot Diameter Ø80", "79.950", "80.000", "80.000", "mm", "sc"),)),
        ("Bearing Cap", "C", 11.50, (("Flatness", "", "0.08", "", "mm", ""),)),
        ("Housing Blank", "C", 16.20, (("Wall Thickness", "3.5", "4.5", "4.0", "mm", ""),)),
    ),
    "压铸件": (
        ("电机端盖", "B", 11.60, (
            ("轴承孔Φ26", "26.000", "26.021", "26.000", "mm", "sc"),
            ("气孔等级", "", "2", "", "级", ""))),
        ("控制器壳体", "B", 19.80, (("密封面平面度", "", "0.08", "", "mm", "sc"),)),
        ("散热器", "C", 14.30, (("高度H30", "29.8", "30.2", "30.0", "mm", ""),)),
    ),
    "锻件": (
        ("法兰叉", "A", 38.00, (
            ("花键大径Φ28", "27.950", "28.000", "28.000", "mm", "cc"),
            ("硬度", "28", "34", "31", "HRC", ""))),
        ("连杆毛坯", "B", 26.50, (("长度L150", "149.5", "150.5", "150.0", "mm", ""),)),
        ("轴头", "C", 15.40, (("长度L80", "79.7", "80.3", "80.0", "mm", ""),)),
    ),
    "注塑件": (
        ("线束护套", "C", 0.95, (("壁厚T1.5", "1.40", "1.60", "1.50", "mm", ""),)),
        ("装饰盖", "C", 1.60, (("长度L85", "84.7", "85.3", "85.0", "mm", ""),)),
        ("连接器壳体", "B", 2.40, (("卡扣保持力", "50", "", "", "N", "sc"),)),
        ("齿轮（PA66）", "B", 1.75, (("齿顶圆Φ24", "23.95", "24.05", "24.00", "mm", "sc"),)),
    ),
    "紧固件": (
        ("六角螺母 M8", "B", 0.12, (("对边宽度S13", "12.73", "13.00", "13.00", "mm", ""),)),
        ("内六角螺钉 M6×20", "B", 0.21, (("长度L20", "19.58", "20.42", "20.00", "mm", ""),)),
        ("弹簧垫圈 Φ8", "C", 0.03, (("厚度T2.0", "1.90", "2.10", "2.00", "mm", ""),)),
    ),
    "Fasteners": (
        ("Hex Nut M10", "B", 0.18, (
            ("Width Across Flats S16", "15.73", "16.00", "16.00", "mm", ""),)),
        ("Socket Head Cap Screw M6x16", "B", 0.24, (
            ("Length L16", "15.65", "16.35", "16.00", "mm", ""),)),
        ("Washer 10.5", "C", 0.04, (("Thickness T2.0", "1.80", "2.20", "2.00", "mm", ""),)),
    ),
    "弹簧": (
        ("回位弹簧", "B", 0.65, (
            ("自由长度L32", "31.5", "32.5", "32.0", "mm", ""),
            ("弹簧力F1", "45", "55", "50", "N", "sc"))),
        ("拉簧", "C", 0.48, (("自由长度L58", "57.0", "59.0", "58.0", "mm", ""),)),
        ("碟形弹簧", "B", 0.90, (("高度H2.2", "2.15", "2.25", "2.20", "mm", "sc"),)),
    ),
    "橡胶件": (
        ("减震垫", "C", 2.80, (("硬度", "55", "65", "60", "Shore A", ""),)),
        ("橡胶衬套", "B", 4.10, (("内径Φ12", "11.8", "12.2", "12.0", "mm", "sc"),)),
        ("防尘套", "C", 1.45, (("壁厚T1.8", "1.6", "2.0", "1.8", "mm", ""),)),
    ),
    "密封件": (
        ("骨架油封 25×40×7", "B", 1.35, (("唇口内径Φ25", "24.2", "24.8", "24.5", "mm", "sc"),)),
        ("O形圈 18×2", "C", 0.16, (("内径Φ18", "17.8", "18.2", "18.0", "mm", ""),)),
        ("密封垫片", "C", 0.58, (("厚度T1.0", "0.9", "1.1", "1.0", "mm", ""),)),
    ),
    "轴承": (
        ("滚针轴承 HK1612", "B", 3.90, (("内径Φ16", "16.000", "16.018", "16.000", "mm", "sc"),)),
        ("深沟球轴承 6001", "A", 6.20, (("内径Φ12", "11.992", "12.000", "12.000", "mm", "cc"),)),
    ),
    "Bearings": (
        ("Needle Roller Bearing HK1612", "B", 4.10, (
            ("Bore Diameter Ø16", "16.000", "16.018", "16.000", "mm", "sc"),)),
        ("Angular Contact Bearing 7202", "A", 21.70, (
            ("Bore Diameter Ø15", "14.992", "15.000", "15.000", "mm", "cc"),)),
    ),
    "电子元器件": (
        ("贴片电容 10μF", "C", 0.05, (("容值", "9.0", "11.0", "10.0", "μF", ""),)),
        ("温度传感器NTC", "B", 1.10, (("阻值R25", "9.8", "10.2", "10.0", "kΩ", "sc"),)),
        ("继电器", "B", 3.60, (("线圈电阻", "360", "440", "400", "Ω", ""),)),
    ),
    "Electronics": (
        ("Gate Driver IC", "A", 8.40, (("Quiescent Current", "", "1.5", "", "mA", "cc"),)),
        ("Ceramic Capacitor 100nF", "C", 0.02, (("Capacitance", "90", "110", "100", "nF", ""),)),
    ),
    "线束": (
        ("传感器线束", "B", 8.60, (
            ("线束长度L450", "445", "455", "450", "mm", ""),
            ("端子拉脱力", "80", "", "", "N", "sc"))),
        ("电源线束", "B", 12.90, (("线束长度L800", "792", "808", "800", "mm", ""),)),
    ),
    "漆包线": (
        ("漆包线 Φ0.50", "B", 0.12, (("导体直径Φ0.50", "0.495", "0.505", "0.500", "mm", "sc"),)),
        ("漆包线 Φ0.80", "B", 0.28, (("导体直径Φ0.80", "0.792", "0.808", "0.800", "mm", "sc"),)),
    ),
    "粉末冶金件": (
        ("油泵转子", "B", 6.70, (
            ("外径Φ30", "29.98", "30.00", "30.00", "mm", "sc"),
            ("密度", "6.8", "", "", "g/cm³", ""))),
        ("含油轴承", "C", 0.85, (("内径Φ8", "8.000", "8.015", "8.000", "mm", ""),)),
    ),
    "电机": (
        ("座椅调节电机", "A", 52.00, (("空载电流", "", "1.2", "", "A", "cc"),)),
        ("风扇电机", "B", 38.00, (("转速", "2700", "3300", "3000", "rpm", ""),)),
    ),
    "包装材料": (
        ("周转箱 600×400", "C", 28.00, (("长度L600", "598", "602", "600", "mm", ""),)),
        ("吸塑托盘", "C", 3.50, (("穴位间距L50", "49.5", "50.5", "50.0", "mm", ""),)),
        ("纸箱", "C", 4.20, (("耐破强度", "1200", "", "", "kPa", ""),)),
    ),
    "传感器": (
        ("压力传感器", "A", 24.00, (("输出偏差", "-1.0", "1.0", "0", "%FS", "cc"),)),
        ("转速传感器", "B", 17.50, (("气隙", "0.5", "1.5", "1.0", "mm", "sc"),)),
    ),
    "PCB": (
        ("控制板PCB", "B", 6.90, (("板厚T1.6", "1.44", "1.76", "1.60", "mm", ""),)),
        ("LED灯板", "C", 2.30, (("板厚T1.0", "0.9", "1.1", "1.0", "mm", ""),)),
    ),
    "铝型材": (
        ("导轨型材", "B", 19.50, (("长度L500", "499.0", "501.0", "500.0", "mm", ""),)),
        ("散热型材", "C", 8.80, (("壁厚T2.0", "1.85", "2.15", "2.00", "mm", ""),)),
    ),
}  # fmt: skip
ENGLISH_CATEGORY = {
    "机加工件": "Machining",
    "铸件": "Casting",
    "紧固件": "Fasteners",
    "轴承": "Bearings",
    "电子元器件": "Electronics",
}
PART_COUNT = {"S0012": 3, "S0027": 4, "S0033": 4, "S0040": 2}

# Our products: finished goods, their sub-assemblies and the purchased parts they consume.
PRODUCTS: dict[str, tuple[str, tuple[int, int]]] = {
    "P-9001": ("转向节总成", (240, 360)),
    "P-9002": ("制动卡钳总成", (180, 300)),
    "P-9003": ("电子水泵总成", (360, 600)),
    "P-9004": ("座椅调角器总成", (150, 270)),
    "P-9005": ("电动尾门撑杆", (300, 480)),
}
SUB_ASSEMBLIES: dict[str, tuple[str, str, tuple[tuple[str, int], ...]]] = {
    "P-8001": ("轮毂轴承单元", "P-9001", (("P-1056", 1), ("P-1086", 1), ("P-1111", 1))),
    "P-8002": ("转向节分总成", "P-9001", (("P-1021", 1), ("P-1101", 1), ("P-1051", 2))),
    "P-8003": ("卡钳体分总成", "P-9002", (("P-1011", 1), ("P-1176", 1))),
    "P-8004": ("活塞密封组件", "P-9002", (("P-1066", 2), ("P-1091", 2))),
    "P-8005": ("电机定子组件", "P-9003", (("P-1061", 1), ("P-1171", 1))),
    "P-8006": ("泵壳组件", "P-9003", (("P-1046", 1), ("P-1066", 1))),
    "P-8007": ("调角器机芯", "P-9004", (("P-1006", 2), ("P-1016", 1))),
    "P-8008": ("手柄组件", "P-9004", (("P-1026", 1), ("P-1081", 1))),
    "P-8009": ("撑杆电机组件", "P-9005", (("P-1096", 1), ("P-1126", 1))),
    "P-8010": ("撑杆管组件", "P-9005", (("P-1166", 1), ("P-1141", 1), ("P-1071", 1))),
}
DIRECT_PARTS: dict[str, tuple[tuple[str, int], ...]] = {
    "P-9001": (("P-1031", 4),),
    "P-9002": (("P-1036", 4),),
    "P-9003": (("P-1151", 1),),
    "P-9004": (("P-1036", 2),),
    "P-9005": (("P-1031", 2),),
}
SA_LOT_SIZES = (800, 900, 1000, 1100, 1200)

# customer, ship-to, export (shipped weekly on Fridays)
CUSTOMERS: dict[str, tuple[str, bool]] = {
    "上汽大众": ("上海安亭总装厂", False),
    "长江智行汽车有限公司": ("武汉经开区总装工厂", False),
    "北方重卡集团有限公司": ("包头装配基地", False),
    "南海电驱科技有限公司": ("佛山顺德工厂", False),
    "Nordwerk Automotive GmbH": ("Nordwerk Plant Bremen, Hafenstraße 12", True),
    "Pacific Drive Systems Inc.": ("Pacific Drive Savannah Assembly, GA", True),
}
PRODUCT_CUSTOMERS: dict[str, tuple[tuple[str, int], ...]] = {
    "P-9001": (("上汽大众", 80), ("长江智行汽车有限公司", 20)),
    "P-9002": (("长江智行汽车有限公司", 100),),
    "P-9003": (("Nordwerk Automotive GmbH", 100),),
    "P-9004": (("北方重卡集团有限公司", 100),),
    "P-9005": (("Pacific Drive Systems Inc.", 70), ("南海电驱科技有限公司", 30)),
}

# ISO 2859-1:1999, general inspection level II, normal inspection: code letter by lot size,
# and (sample size, Ac) for each AQL used here (after following the table's arrows).
CODE_LETTERS = ((151, "G"), (281, "H"), (501, "J"), (1201, "K"), (3201, "L"), (10001, "M"))
PLANS: dict[str, dict[float, tuple[int, int]]] = {
    "G": {0.65: (20, 0), 1.0: (50, 1), 2.5: (32, 2)},
    "H": {0.65: (80, 1), 1.0: (50, 1), 2.5: (50, 3)},
    "J": {0.65: (80, 1), 1.0: (80, 2), 2.5: (80, 5)},
    "K": {0.65: (125, 2), 1.0: (125, 3), 2.5: (125, 7)},
    "L": {0.65: (200, 3), 1.0: (200, 5), 2.5: (200, 10)},
    "M": {0.65: (315, 5), 1.0: (315, 7), 2.5: (315, 14)},
}
AQL_BY_CLASS = {"A": 0.65, "B": 1.0, "C": 2.5}
LOT_SIZES = {
    "A": (500, 800, 1000, 1500, 2000, 3000),
    "B": (1000, 1500, 2000, 3000, 5000),
    "C": (2000, 3000, 5000, 8000, 10000, 20000),
}
INSPECTORS = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆")
DEFECT_TYPES = {
    "mm": ("尺寸超差", "毛刺", "划伤", "磕碰伤"),
    "other": ("外观不良", "性能不良", "标识错误", "包装破损"),
}

# SPC series: supplier, part, characteristic, process mean, sigma, decimals, gauge, story
SPC_SERIES: tuple[tuple[str, str, str, float, float, int, str, str], ...] = (
    ("S0012", "P-1056", "外径Ø10", 10.003, 0.008, 3, "G-0315", "streak"),
    ("S0012", "P-1056", "长度L25", 25.01, 0.015, 3, "G-0318", ""),
    ("S0005", "P-1021", "长度L45", 44.998, 0.015, 3, "HS-CMM-02", "shift"),
    ("S0021", "P-1101", "壁厚T2.0", 2.006, 0.015, 3, "JH-T-07", ""),
    ("S0007", "P-1031", "Pitch Diameter M8x1.25", 7.104, 0.0095, 3, "TG-M8-6g-11", ""),
    ("S0018", "P-1086", "Bore Diameter Ø20", 19.9951, 0.0008, 4, "AG-2041", ""),
)
SUBGROUPS_PER_LOT, SUBGROUP_SIZE = 5, 5
# Means and sigmas of the last five lots of the streak series: drift toward the USL.
STREAK_MEANS = (10.006, 10.009, 10.021, 10.028, 10.033)
STREAK_SIGMAS = (0.008, 0.008, 0.009, 0.0095, 0.010)


def rng_for(name: str) -> random.Random:
    """A random generator of its own for each section, so sections do not disturb each other."""
    return random.Random(f"{SEED}/{name}")


# --- calendar -------------------------------------------------------------------------------
def is_workday(day: date) -> bool:
    """Monday to Friday outside the plant's holidays."""
    return day.weekday() < 5 and day not in HOLIDAYS


def workdays(first: date, last: date) -> list[date]:
    """Working days from ``first`` to ``last`` inclusive."""
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if is_workday(d)]


def next_workday(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def prev_workday(day: date) -> date:
    """The last working day before ``day``."""
    day -= timedelta(days=1)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def first_workday_from(day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    return day if is_workday(day) else next_workday(day)


def month_starts() -> list[date]:
    """The first day of each of the twelve months."""
    out, day = [], START
    while day <= TODAY:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def yymm(day: date) -> str:
    """``2610`` for any day of October 2026."""
    return f"{day:%y%m}"


def month_index(day: date) -> int:
    """0 for 2025-11 ... 11 for 2026-10."""
    return (day.year - START.year) * 12 + day.month - START.month


# --- small helpers --------------------------------------------------------------------------
def code_letter(lot_size: int) -> str:
    """ISO 2859-1 sample size code letter for general inspection level II (lots of 151+)."""
    return next(letter for low, letter in reversed(CODE_LETTERS) if lot_size >= low)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth), for defect counts."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def lot_cpk(values: Sequence[float], lsl: float, usl: float) -> float:
    """Cpk from R̄/d2 of consecutive subgroups of five (as ``qsync.spc.capability`` does)."""
    groups = [values[i : i + SUBGROUP_SIZE] for i in range(0, len(values), SUBGROUP_SIZE)]
    sigma = statistics.fmean(max(g) - min(g) for g in groups) / 2.326
    mean = statistics.fmean(values)
    return min(usl - mean, mean - lsl) / (3 * sigma)


def money(value: float) -> str:
    """``1234.5`` → ``1234.50``."""
    return f"{value:.2f}"


def thousands(value: float, decimals: int = 0) -> str:
    """``125400`` → ``125,400``, as spreadsheets export numbers."""
    return f"{value:,.{decimals}f}"


def price_text(value: float) -> str:
    """Unit prices: two decimals, four below 1 CNY (as the ERP keeps them)."""
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def round_up(value: float, step: int) -> int:
    """``value`` rounded up to a multiple of ``step``."""
    return int(math.ceil(value / step) * step)


# --- data records ---------------------------------------------------------------------------
@dataclass
class Part:
    """A purchased part with its characteristics."""

    part_no: str
    supplier_id: str
    description: str
    material_class: str
    price: float
    chars: tuple[Char, ...]


@dataclass
class Delivery:
    """One lot delivered against a PO line, and what incoming inspection made of it."""

    supplier_id: str
    po_no: str
    po_line: int
    part_no: str
    qty_ordered: int
    qty: int
    price: float
    promised: date
    delivered: date
    regular_index: int = 0  # n-th regular lot of its part in its month (1, 2); 0: replacement
    replaces: Delivery | None = None
    lot_id: str = ""
    delivery_note: str = ""
    inspected: date | None = None
    sample: int = 0
    aql: float = 1.0
    defects: int = 0
    decision: str = "accept"
    defect_type: str = ""
    cpk: float | None = None
    inspector: str = ""
    remaining: int = 0
    blocked_from: date | None = None  # quarantined from this day on (containment)

    @property
    def usable(self) -> bool:
        """Released to production (accepted, or accepted under concession)."""
        return self.decision in ("accept", "conditional")


@dataclass
class MadeLot:
    """A lot we produced (sub-assembly or finished), on its own work order."""

    part_no: str
    qty: int
    at: datetime
    kind: str  # "SA" or "FG"
    lot_id: str = ""
    work_order: str = ""
    operator: str = ""
    remaining: int = 0
    inputs: list[tuple[str, str, int, datetime]] = field(default_factory=list)
    made_inputs: list[tuple[MadeLot, int]] = field(default_factory=list)


@dataclass
class World:
    """Everything generated, shared between the sections."""

    parts: dict[str, Part] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    fg_lots: list[MadeLot] = field(default_factory=list)
    sa_lots: list[MadeLot] = field(default_factory=list)
    lots: dict[str, Delivery | MadeLot] = field(default_factory=dict)
    shipments: list[tuple[str, str, str, str, int, date]] = field(default_factory=list)
    measurements: dict[tuple[str, str, str], list[tuple[str, list[float]]]] = field(
        default_factory=dict
    )
    story: dict[str, object] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)


def supplier_row(supplier_id: str) -> tuple[str, ...]:
    """The master-data tuple of a supplier."""
    return SUPPLIERS[int(supplier_id[1:]) - 1]


# --- parts ----------------------------------------------------------------------------------
def build_parts(world: World) -> None:
    """Two to five parts per supplier: fixed story parts first, then from category templates."""
    rng = rng_for("parts")
    for sid, *_rest in SUPPLIERS:
        row = supplier_row(sid)
        count = PART_COUNT.get(sid, rng.randint(2, 5))
        categories = row[5].split(";")
        english = row[6] == "en"
        used: set[str] = set()
        for k in range(1, count + 1):
            part_no = f"P-{1000 + (int(sid[1:]) - 1) * 5 + k}"
            if part_no in FIXED_PARTS:
                template = FIXED_PARTS[part_no]
            else:
                category = categories[(k - 1) % len(categories)]
                if english:
                    category = ENGLISH_CATEGORY.get(category, category)
                pool = [t for t in TEMPLATES[category] if t[0] not in used]
                if not pool:  # a variant of a part the supplier already makes
                    base = TEMPLATES[category][rng.randrange(len(TEMPLATES[category]))]
                    variant = f"{base[0]}-{'ABCDE'[k - 1]}"
                    template = (variant, *base[1:])
                else:
                    template = pool[rng.randrange(len(pool))]
            used.add(template[0])
            desc, cls, price, chars = template
            price = round(price * rng.uniform(0.9, 1.1), 4 if price < 1 else 2)
            world.parts[part_no] = Part(part_no, sid, desc, cls, price, chars)


# --- production plan (stage A) ----------------------------------------------------------------
def plan_finished_lots(world: World) -> None:
    """One lot of every product per working day from the MES go-live; FG2610-0042 is P-9001."""
    rng = rng_for("fg")
    days = workdays(next_workday(MES_GO_LIVE), prev_workday(TODAY + timedelta(days=1)))
    counts: dict[str, int] = defaultdict(int)
    for day in days:
        order = list(PRODUCTS)
        rng.shuffle(order)
        key = yymm(day)
        if key == DEMO_FG_LOT[2:6]:
            target = int(DEMO_FG_LOT[-4:]) - counts[key] - 1
            if 0 <= target < len(order):
                order.remove(DEMO_FG_PART)
                order.insert(target, DEMO_FG_PART)
        start = datetime(day.year, day.month, day.day, 7, 30)
        for i, product in enumerate(order):
            low, high = PRODUCTS[product][1]
            qty = rng.randrange(low, high + 1, 12)
            at = start + timedelta(minutes=i * 100 + rng.randint(0, 40))
            counts[key] += 1
            lot = MadeLot(product, qty, at, "FG", lot_id=f"FG{key}-{counts[key]:04d}")
            lot.remaining = qty
            world.fg_lots.append(lot)
    assert any(
        lot.lot_id == DEMO_FG_LOT and lot.part_no == DEMO_FG_PART for lot in world.fg_lots
    ), "the demo finished lot must be a P-9001 lot"


def plan_sub_assemblies(world: World) -> None:
    """Sub-assembly lots made on the previous working day whenever finished lots need them.

    The P-8001 lot that covers the start of FG2610-0042's need is cut so that the finished lot
    needs a second one: FG2610-0042 then consumes two P-8001 lots (the diamond of the story).
    """
    rng = rng_for("sa")
    target = next(lot for lot in world.fg_lots if lot.lot_id == DEMO_FG_LOT)
    before = sum(
        lot.qty for lot in world.fg_lots if lot.part_no == DEMO_FG_PART and lot.at < target.at
    )
    queues: dict[str, list[MadeLot]] = {sa: [] for sa in SUB_ASSEMBLIES}
    produced: dict[str, int] = defaultdict(int)
    slot: dict[date, int] = defaultdict(int)
    for fg in world.fg_lots:
        for sa_part, (_, product, _) in SUB_ASSEMBLIES.items():
            if product != fg.part_no:
                continue
            queue = queues[sa_part]
            need = fg.qty
            while sum(lot.remaining for lot in queue) < need:
                size = rng.choice(SA_LOT_SIZES)
                done = produced[sa_part]
                if sa_part == DEMO_SA_PART and done <= before < done + size:
                    size = before - done + 120
                day = prev_workday(fg.at.date())
                slot[day] += 1
                at = datetime(day.year, day.month, day.day, 13, 0) + timedelta(
                    minutes=slot[day] * 35 + rng.randint(0, 20)
                )
                lot = MadeLot(sa_part, size, at, "SA", remaining=size)
                produced[sa_part] += size
                queue.append(lot)
                world.sa_lots.append(lot)
            while need > 0:
                lot = queue[0]
                take = min(need, lot.remaining)
                lot.remaining -= take
                need -= take
                fg.made_inputs.append((lot, take))
                if lot.remaining == 0:
                    queue.pop(0)
    world.sa_lots.sort(key=lambda lot: lot.at)
    number_lots(world.sa_lots, "SA")
    for fg in world.fg_lots:
        fg.inputs = [(sa.part_no, sa.lot_id, qty, fg.at) for sa, qty in fg.made_inputs]


def number_lots(lots: Sequence[MadeLot], prefix: str) -> None:
    """``SA2610-0001``... in time order within each month."""
    counts: dict[str, int] = defaultdict(int)
    for lot in lots:
        key = yymm(lot.at.date())
        counts[key] += 1
        lot.lot_id = f"{prefix}{key}-{counts[key]:04d}"


def assign_work_orders(world: World) -> None:
    """One work order per produced lot, numbered in time order per month; an operator each."""
    rng = rng_for("wo")
    counts: dict[str, int] = defaultdict(int)
    for lot in sorted(world.sa_lots + world.fg_lots, key=lambda x: (x.at, x.lot_id)):
        key = yymm(lot.at.date())
        counts[key] += 1
        lot.work_order = f"WO{key}-{counts[key]:05d}"
        pool = range(10201, 10216) if lot.kind == "SA" else range(10301, 10321)
        lot.operator = f"E{rng.choice(pool)}"


def purchased_demand(world: World) -> list[tuple[datetime, MadeLot, str, int]]:
    """Every need for a purchased part: (time, consuming lot, part, quantity), in time order."""
    needs = []
    for sa in world.sa_lots:
        for part, usage in SUB_ASSEMBLIES[sa.part_no][2]:
            needs.append((sa.at, sa, part, sa.qty * usage))
    for fg in world.fg_lots:
        for part, usage in DIRECT_PARTS[fg.part_no]:
            needs.append((fg.at, fg, part, fg.qty * usage))
    needs.sort(key=lambda n: (n[0], n[1].lot_id, n[2]))
    return needs


# --- deliveries and inspection ------------------------------------------------------------------
def active(supplier_id: str, month: date) -> bool:
    """Whether a supplier delivers in a month."""
    status = supplier_row(supplier_id)[7]
    if status == "potential":
        return False
    return not (status == "suspended" and month >= SUSPENDED_FROM)


def build_deliveries(world: World, needs: list[tuple[datetime, MadeLot, str, int]]) -> None:
    """POs per supplier and month; production parts by a simple MRP, two lots a month."""
    rng = rng_for("deliveries")
    monthly: dict[tuple[str, int], int] = defaultdict(int)
    for at, _, part, qty in needs:
        monthly[part, month_index(at.date())] += qty
    bom_parts = sorted({part for _, _, part, _ in needs})
    stock: dict[str, int] = defaultdict(int)
    po_no = 4500120000
    for month in month_starts():
        m = month_index(month)
        for sid, *_ in SUPPLIERS:
            if not active(sid, month):
                continue
            po_no += rng.randint(3, 40)
            line = 0
            for part in (p for p in world.parts.values() if p.supplier_id == sid):
                price = current_price(part, month)
                if part.part_no in bom_parts:
                    demand = monthly[part.part_no, m]
                    following = monthly.get((part.part_no, m + 1), demand)
                    wanted = demand + round(0.5 * following) - stock[part.part_no]
                    if m == 0:
                        wanted = demand + round(0.5 * following)
                    total = max(0, round_up(wanted, 100))
                    stock[part.part_no] += total - demand
                    first = round_up(total * 0.55, 100)
                    plan = [(first, 2 + rng.randint(0, 3)), (total - first, 15 + rng.randint(0, 3))]
                elif sid in LATE_RISING:  # weekly call-offs, two lots a month
                    qty = rng.choice(LOT_SIZES[part.material_class])
                    plan = [(qty // 2, 3 + rng.randint(0, 6)), (qty // 2, 15 + rng.randint(0, 6))]
                else:
                    if part.material_class == "C" and m % 2 == int(part.part_no[-1]) % 2:
                        continue
                    plan = [(rng.choice(LOT_SIZES[part.material_class]), 3 + rng.randint(0, 20))]
                for index, (qty, day) in enumerate(plan, start=1):
                    if qty <= 0:
                        continue
                    line += 10
                    promised = first_workday_from(date(month.year, month.month, day))
                    delivered = delivery_date(rng, sid, promised)
                    short = qty if rng.random() > 0.04 else round_up(qty * 0.96, 10)
                    world.deliveries.append(
                        Delivery(
                            sid,
                            str(po_no),
                            line,
                            part.part_no,
                            qty,
                            short,
                            price,
                            promised,
                            delivered,
                            regular_index=index,
                        )
                    )
    make_late(world, rng)


def delivery_date(rng: random.Random, supplier_id: str, promised: date) -> date:
    """Mostly on time or a little early, now and then a few days late."""
    late = supplier_id not in LATE_RISING and rng.random() < 0.04
    return shift_delivery(rng, promised, late, 4)


def shift_delivery(rng: random.Random, promised: date, late: bool, worst: int) -> date:
    """A delivery date 1..``worst`` days late, or on time to three days early."""
    if late:
        day = promised + timedelta(days=rng.randint(1, worst))
    else:
        day = promised - timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3)))
    while day.weekday() == 6:
        day += timedelta(days=1) if late else -timedelta(days=1)
    return max(START, min(day, TODAY - timedelta(days=1)))


def make_late(world: World, rng: random.Random) -> None:
    """The suppliers of :data:`LATE_RISING`: on time until 2026-07, then a rising share late."""
    for sid, shares in LATE_RISING.items():
        for month in month_starts():
            m = month_index(month)
            lines = [d for d in world.deliveries if d.supplier_id == sid and d.promised >= month]
            lines = [d for d in lines if month_index(d.promised) == m]
            share = shares[m - 9] if m >= 9 else 0.0
            late = set(rng.sample(range(len(lines)), round(share * len(lines))))
            for i, d in enumerate(lines):
                d.delivered = shift_delivery(rng, d.promised, i in late, 4 + 3 * max(0, m - 8))


PRICE_REDUCTIONS: dict[str, tuple[float, tuple[float, float, float, float]]] = {
    # part: annual target %, achieved % from Q1..Q4 2026
    "P-1056": (3.0, (1.5, 1.5, 1.5, 1.5)),
    "P-1086": (2.0, (1.0, 1.0, 2.0, 2.0)),
    "P-1111": (3.0, (1.5, 1.5, 3.0, 3.0)),
    "P-1021": (4.0, (2.0, 2.0, 4.0, 4.0)),
    "P-1011": (3.0, (1.5, 1.5, 2.5, 2.5)),
    "P-1176": (2.0, (1.0, 1.0, 2.0, 2.0)),
    "P-1091": (3.0, (0.0, 0.0, 1.0, 1.0)),
    "P-1171": (5.0, (2.5, 2.5, 5.0, 5.0)),
    "P-1046": (3.0, (1.5, 1.5, 3.0, 3.0)),
    "P-1096": (3.0, (1.5, 1.5, 3.0, 3.0)),
    "P-1166": (2.5, (1.2, 1.2, 2.5, 2.5)),
    "P-1071": (3.0, (1.5, 2.0, 3.0, 3.0)),
    "P-1061": (4.0, (2.0, 2.0, 3.0, 3.0)),
    "P-1141": (2.0, (1.0, 1.0, 2.0, 2.0)),
}


def quarter_of(day: date) -> int:
    """1..4."""
    return (day.month - 1) // 3 + 1


def current_price(part: Part, day: date) -> float:
    """Unit price on a day: the baseline, or the 2026 quarter's reduced price."""
    if day.year < 2026 or part.part_no not in PRICE_REDUCTIONS:
        return part.price
    achieved = PRICE_REDUCTIONS[part.part_no][1][quarter_of(day) - 1]
    return round(part.price * (1 - achieved / 100), 2)


def defect_rate(rng_value: float, supplier_id: str, part: Part, day: date) -> float:
    """Per-piece defect probability: small for most, rising for the suppliers of the story."""
    base = 0.0002 + 0.0012 * rng_value
    if part.material_class == "C":
        base *= 1.5
    month = month_index(day)
    if supplier_id in PPM_RISING and month >= 8:
        base = max(base, PPM_RISING[supplier_id][month - 8])
    return base


def inspect_all(world: World) -> None:
    """IQC of every lot: ISO 2859-1 plan, Poisson defects, decision; rejects get replaced."""
    rng = rng_for("iqc")
    base = {sid: rng.random() for sid, *_ in SUPPLIERS}
    replacements: list[Delivery] = []
    streak = regular_lots(world, STREAK_PART)
    story = {id(d): i for i, d in enumerate(streak[-5:])}
    for d in world.deliveries:
        part = world.parts[d.part_no]
        d.aql = AQL_BY_CLASS[part.material_class]
        d.sample, ac = PLANS[code_letter(d.qty)][d.aql]
        d.inspected = d.delivered + timedelta(days=rng.choice((0, 0, 1, 1, 2)))
        d.inspected = min(d.inspected, TODAY)
        d.inspector = rng.choice(INSPECTORS)
        lam = d.sample * defect_rate(base[d.supplier_id], d.supplier_id, part, d.delivered)
        d.defects = min(poisson(rng, lam), d.sample)
        spill = rng.random() < 0.008
        if d.supplier_id in PPM_RISING and month_index(d.delivered) >= 8:
            d.defects = int(lam + 0.5)  # the trend, without the noise of a Poisson draw
        elif spill and d.supplier_id not in PPM_RISING:  # a bad lot now and then
            d.defects = ac + 1 + rng.randint(0, 3)
        if id(d) in story:
            # the last five P-1056 lots: accept, accept, concession, reject, reject
            d.defects = (0, 1, ac + 1, ac + 3, ac + 6)[story[id(d)]]
        elif d.part_no == STREAK_PART:
            d.defects = min(d.defects, ac)
        if d.defects > ac:
            concession = id(d) in story and story[id(d)] == 2
            concession = concession or (id(d) not in story and rng.random() < 0.15)
            d.decision = "conditional" if concession else "reject"
            if id(d) in story:
                d.blocked_from = CONTAINMENT
        if d.defects:
            kind = "mm" if any(c[4] == "mm" for c in part.chars) else "other"
            d.defect_type = rng.choice(DEFECT_TYPES[kind])
            if d.part_no == STREAK_PART and d.defects > ac:
                d.defect_type = "外径超差" if d.defects < ac + 5 else "外径超差;毛刺"
        if d.decision == "reject":
            again = d.delivered + timedelta(days=rng.randint(4, 7))
            if again <= TODAY - timedelta(days=3):
                replacements.append(replacement_for(d, again))
    for r in replacements:
        part = world.parts[r.part_no]
        r.aql = AQL_BY_CLASS[part.material_class]
        r.sample = PLANS[code_letter(r.qty)][r.aql][0]
        r.inspected = r.delivered + timedelta(days=1)
        r.inspector = rng.choice(INSPECTORS)
    world.deliveries.extend(replacements)
    world.deliveries.sort(key=lambda d: (d.delivered, d.supplier_id, d.po_no, d.po_line))
    counts: dict[str, int] = defaultdict(int)
    notes: dict[date, int] = defaultdict(int)
    for d in world.deliveries:
        key = yymm(d.delivered)
        counts[key] += 1
        d.lot_id = f"L{key}-{counts[key]:04d}"
        notes[d.delivered] += 1
        d.delivery_note = f"DN{d.delivered:%Y%m%d}-{notes[d.delivered]:02d}"
        d.remaining = d.qty
        world.lots[d.lot_id] = d


def replacement_for(rejected: Delivery, day: date) -> Delivery:
    """The supplier's replacement of a rejected lot (sorted 100 %), on the same PO line."""
    while day.weekday() == 6:
        day += timedelta(days=1)
    return Delivery(
        rejected.supplier_id,
        rejected.po_no,
        rejected.po_line,
        rejected.part_no,
        rejected.qty_ordered,
        rejected.qty,
        rejected.price,
        rejected.promised,
        day,
        regular_index=0,
        replaces=rejected,
    )


def regular_lots(world: World, part_no: str) -> list[Delivery]:
    """A part's regular (not replacement) lots in delivery order."""
    lots = [d for d in world.deliveries if d.part_no == part_no and d.regular_index]
    return sorted(lots, key=lambda d: (d.delivered, d.po_line))


# --- genealogy (stage B) --------------------------------------------------------------------
def consume(world: World, needs: list[tuple[datetime, MadeLot, str, int]]) -> None:
    """Allocate released purchased lots first in, first out to every need (genealogy inputs).

    The purchasing plan keeps enough stock that no lot is ever consumed beyond its quantity.
    """
    by_part: dict[str, list[Delivery]] = defaultdict(list)
    for d in world.deliveries:
        if d.usable:
            by_part[d.part_no].append(d)
    for at, lot, part, qty in needs:
        stock = [d for d in by_part[part] if not d.blocked_from or at.date() < d.blocked_from]
        ready = [
            d
            for d in stock
            if d.inspected is not None and d.inspected < at.date() and d.remaining > 0
        ]
        # when stock runs short, a lot released by IQC the same morning is used as well
        ready += [d for d in stock if d.inspected == at.date() and d.remaining > 0]
        need = qty
        for d in ready:
            take = min(need, d.remaining)
            d.remaining -= take
            need -= take
            lot.inputs.append((part, d.lot_id, take, at))
            if need == 0:
                break
        assert need == 0, f"no released stock of {part} for {lot.lot_id} at {at}"


def genealogy_rows(world: World) -> list[tuple[MadeLot, str, str, int, datetime]]:
    """(parent lot, child part, child lot, qty, time) for every consumption, MES order."""
    rows = []
    for lot in world.sa_lots + world.fg_lots:
        for i, (part, child, qty, at) in enumerate(lot.inputs):
            rows.append((lot, part, child, qty, at + timedelta(seconds=37 * i + 11)))
    rows.sort(key=lambda r: (r[4], r[0].lot_id, r[2]))
    return rows


def trace_down(world: World, lot_id: str) -> set[str]:
    """Every lot consumed, directly or not, into ``lot_id``."""
    children = world.children
    if not children:
        for lot in world.sa_lots + world.fg_lots:
            children[lot.lot_id] = [child for _, child, _, _ in lot.inputs]
    seen: set[str] = set()
    todo = [lot_id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


# --- shipments ------------------------------------------------------------------------------
def ship(world: World) -> None:
    """Domestic customers get a lot the next working day, export customers on Fridays.

    Lots that trace to the concession lot of the story and are still in stock when the
    complaint is contained are held; so are lots made too late to ship by 2026-10-30.
    """
    rng = rng_for("shipments")
    bad_lot = str(world.story["concession_lot"])
    plan: list[tuple[date, str, MadeLot, int]] = []
    held = []
    for lot in world.fg_lots:
        customers = PRODUCT_CUSTOMERS[lot.part_no]
        if lot.lot_id == DEMO_FG_LOT:
            split = [(customers[0][0], lot.qty)]
        elif len(customers) > 1 and rng.random() < 0.12:
            first = round_up(lot.qty * rng.choice((0.5, 0.6, 0.75)), 12)
            split = [(customers[0][0], first), (customers[1][0], lot.qty - first)]
        else:
            names = [c for c, _ in customers]
            weights = [w for _, w in customers]
            split = [(rng.choices(names, weights)[0], lot.qty)]
        for customer, qty in split:
            export = CUSTOMERS[customer][1]
            day = next_workday(lot.at.date())
            if export:
                day = next_workday(day)
                while day.weekday() != 4 or not is_workday(day):
                    day = next_workday(day)
            if day >= TODAY:
                held.append(lot.lot_id)
                continue
            if day >= CONTAINMENT and bad_lot in trace_down(world, lot.lot_id):
                held.append(lot.lot_id)
                continue
            plan.append((day, customer, lot, qty))
    plan.sort(key=lambda p: (p[0], list(CUSTOMERS).index(p[1]), p[2].lot_id))
    counts: dict[str, int] = defaultdict(int)
    notes: dict[tuple[date, str], str] = {}
    for day, customer, lot, qty in plan:
        if (day, customer) not in notes:
            counts[yymm(day)] += 1
            notes[day, customer] = f"DN{yymm(day)}-{counts[yymm(day)]:05d}"
        world.shipments.append((notes[day, customer], lot.lot_id, lot.part_no, customer, qty, day))
    world.story["unshipped"] = sorted(set(held))


# --- SPC measurements -------------------------------------------------------------------------
def measure(world: World) -> None:
    """Five subgroups of five per lot for the SPC series, lots delivered from 2026-05.

    A series is drawn again (with the next seed) until it tells its story cleanly: the streak
    series has exactly its last three lots below Cpk 1.25 and the others above 1.5; the shift
    series breaks Nelson rule 2 only in its last two lots; every other series is capable
    (Cpk above 1.5 per lot) and breaks neither rule 1 nor rule 2.
    """
    for sid, part_no, char, mean, sigma, decimals, _gauge, story in SPC_SERIES:
        part = world.parts[part_no]
        limits = next(c for c in part.chars if c[0] == char)
        lsl, usl = float(limits[1]), float(limits[2])
        lots = [d for d in regular_lots(world, part_no) if d.delivered >= SPC_FROM]
        for attempt in range(200):
            rng = rng_for(f"spc/{part_no}/{char}/{attempt}")
            series = draw_series(rng, lots, mean, sigma, decimals, story)
            if tells_story(series, lsl, usl, story):
                break
        else:  # pragma: no cover - the seeds above are known to work
            raise AssertionError(f"no clean series for {part_no} {char}")
        world.measurements[sid, part_no, char] = series
        if limits is part.chars[0]:
            for lot_id, values in series:
                lot = world.lots[lot_id]
                assert isinstance(lot, Delivery)
                lot.cpk = round(lot_cpk(values, lsl, usl), 2)
    rng = rng_for("reported-cpk")
    measured = {lot_id for series in world.measurements.values() for lot_id, _ in series}
    for d in world.deliveries:
        part = world.parts[d.part_no]
        if d.lot_id in measured or part.material_class != "A" or not d.regular_index:
            continue
        if rng.random() < 0.3:
            d.cpk = round(rng.uniform(1.45, 2.4), 2)


def draw_series(
    rng: random.Random,
    lots: Sequence[Delivery],
    mean: float,
    sigma: float,
    decimals: int,
    story: str,
) -> list[tuple[str, list[float]]]:
    """Measured values of one characteristic, lot by lot (subgroups of five in a row)."""
    series = []
    for i, d in enumerate(lots):
        lot_mean = mean + rng.gauss(0, 0.25 * sigma)
        lot_sigma = sigma * rng.uniform(0.95, 1.05)
        if story == "streak" and i >= len(lots) - len(STREAK_MEANS):
            j = i - (len(lots) - len(STREAK_MEANS))
            lot_mean, lot_sigma = STREAK_MEANS[j], STREAK_SIGMAS[j]
        if story == "shift" and i >= len(lots) - 2:
            lot_mean = mean + 1.3 * sigma
        values: list[float] = []
        for _ in range(SUBGROUPS_PER_LOT):
            centre = lot_mean + rng.gauss(0, 0.15 * sigma)
            values.extend(
                round(rng.gauss(centre, lot_sigma), decimals) for _ in range(SUBGROUP_SIZE)
            )
        series.append((d.lot_id, values))
    return series


def tells_story(series: list[tuple[str, list[float]]], lsl: float, usl: float, story: str) -> bool:
    """Whether a drawn series shows its story and nothing else (see :func:`measure`)."""
    cpks = [lot_cpk(values, lsl, usl) for _, values in series]
    if story == "streak":
        return all(c < 1.25 for c in cpks[-3:]) and all(c >= 1.5 for c in cpks[:-3])
    if any(c < 1.5 for c in cpks):
        return False
    values = [v for _, lot_values in series for v in lot_values]
    groups = [values[i : i + SUBGROUP_SIZE] for i in range(0, len(values), SUBGROUP_SIZE)]
    means = [statistics.fmean(g) for g in groups]
    centre = statistics.fmean(values)
    sigma = statistics.fmean(max(g) - min(g) for g in groups) / 2.326 / math.sqrt(SUBGROUP_SIZE)
    beyond = [abs(m - centre) > 3 * sigma for m in means]
    runs = nine_in_a_row(means, centre)
    if story == "shift":
        return not any(beyond) and bool(runs) and min(runs) >= len(means) - 2 * SUBGROUPS_PER_LOT
    return not any(beyond) and not runs


def nine_in_a_row(points: Sequence[float], centre: float) -> list[int]:
    """Indices that end a run of nine or more points on one side of the centre (Nelson 2)."""
    ends, run, side = [], 0, 0
    for i, point in enumerate(points):
        now = (point > centre) - (point < centre)
        run = run + 1 if now and now == side else (1 if now else 0)
        side = now
        if run >= 9:
            ends.append(i)
    return ends


# --- writing --------------------------------------------------------------------------------
def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    """Write ``rows`` under ``header``; ``None`` is an empty cell."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def write_suppliers(out: Path) -> Path:
    """ERP supplier master with Chinese headers."""
    rng = rng_for("suppliers")
    header = (
        "供应商代码", "供应商名称", "英文名称", "国家/地区", "城市", "供货类别", "供应商状态",
        "首选语言", "质量联系人", "质量邮箱", "采购联系人", "采购邮箱", "技术邮箱",
        "总经理邮箱", "批准日期",
    )  # fmt: skip
    rows = []
    names = list(PERSONS_ZH)
    for sid, name, name_en, country, city, cats, lang, status, slug in SUPPLIERS:
        domain = "example.cn" if country == "CN" else "example.com"
        if lang == "en":
            quality, sales = PERSONS_EN[sid]
            boxes = ("quality", "sales", "engineering", "md")
        else:
            quality, sales = rng.sample(names, 2)
            boxes = ("qa", "sales", "eng", "gm")
        emails = [f"{slug}.{box}@{domain}" for box in boxes]
        if sid in NO_ENGINEERING_EMAIL:
            emails[2] = ""
        if sid in NO_MANAGER_EMAIL:
            emails[3] = ""
        approved = None
        if status != "potential":
            approved = date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28))
        rows.append(
            (
                sid, name, name_en, country, city, cats, STATUS_ZH[status],
                "中文" if lang == "zh" else "英文", quality, emails[0], sales, emails[1],
                emails[2], emails[3], approved.strftime("%Y/%m/%d") if approved else None,
            )
        )  # fmt: skip
    return write_csv(out / "suppliers.csv", header, rows, "utf-8-sig")


def write_parts(out: Path, world: World) -> Path:
    """PLM export of parts and characteristics, mixed Chinese and English headers."""
    header = ("物料编码", "物料名称", "Supplier Code", "ABC分类", "特性", "特殊特性", "LSL",
              "USL", "名义值", "单位")  # fmt: skip
    special = {"cc": "◆", "sc": "▲", "": ""}
    rows = [
        (p.part_no, p.description, p.supplier_id, p.material_class, c[0], special[c[5]],
         c[1], c[2], c[3], c[4])
        for p in world.parts.values()
        for c in p.chars
    ]  # fmt: skip
    return write_csv(out / "parts.csv", header, rows)


def write_certificates(out: Path) -> Path:
    """Certificates as the supplier portal exports them (English headers)."""
    rng = rng_for("certificates")
    header = ("Supplier Code", "Certificate Type", "Certificate No.", "Issue Date",
              "Valid Until", "Certification Body", "Scope")  # fmt: skip
    bodies = ("TÜV SÜD", "TÜV Rheinland", "SGS", "DNV", "BSI", "Bureau Veritas",
              "中国质量认证中心", "Intertek")  # fmt: skip
    types = {"IATF16949": "IATF 16949:2016", "ISO9001": "ISO 9001:2015",
             "ISO14001": "ISO 14001:2015", "ISO45001": "ISO 45001:2018"}  # fmt: skip
    fixed_expiry = {
        ("S0027", "IATF16949"): date(2026, 11, 18),
        ("S0014", "ISO14001"): date(2026, 11, 27),
        ("S0024", "ISO9001"): date(2026, 9, 30),
        ("S0038", "ISO9001"): date(2026, 8, 14),
    }
    rows = []
    for sid, _name, _en, _c, _city, cats, _lang, status, _slug in SUPPLIERS:
        automotive = "包装材料" not in cats
        held = ["IATF16949" if automotive and rng.random() < 0.8 else "ISO9001"]
        if rng.random() < 0.55:
            held.append("ISO14001")
        if rng.random() < 0.2:
            held.append("ISO45001")
        for fixed_sid, cert in fixed_expiry:
            if fixed_sid == sid and cert not in held:
                held[0 if cert in ("IATF16949", "ISO9001") else len(held) :] = [cert]
        for cert in held:
            expiry = fixed_expiry.get((sid, cert))
            if expiry is None:
                expiry = date(2027, 1, 1) + timedelta(days=rng.randint(0, 900))
            issued = date(expiry.year - 3, expiry.month, min(expiry.day + 1, 28))
            body = rng.choice(bodies)
            number = f"{rng.randint(100000, 999999)}"
            if cert == "IATF16949":
                number = f"0{rng.randint(300000, 499999)}"
            elif body == "中国质量认证中心":
                number = f"001{issued:%y}Q{rng.randint(10000, 99999)}R0M"
            scope = "汽车零部件的设计和制造" if status != "potential" else "塑料件的生产"
            if supplier_row(sid)[6] == "en":
                scope = "Design and manufacture of automotive components"
            rows.append((sid, types[cert], number, issued.isoformat(), expiry.isoformat(),
                         body, scope))  # fmt: skip
    return write_csv(out / "certificates.csv", header, rows)


def write_deliveries(out: Path, world: World) -> Path:
    """SAP goods-receipt report: English headers, ISO dates, CNY."""
    header = ("Vendor", "Purchase Order", "Item", "Material No.", "Batch", "Delivery Note",
              "Order Qty", "Delivered Qty", "Unit Price", "Amount", "Currency", "Due Date",
              "Delivery Date")  # fmt: skip
    rows = [
        (d.supplier_id, d.po_no, d.po_line, d.part_no, d.lot_id, d.delivery_note,
         d.qty_ordered, d.qty, price_text(d.price), money(d.qty * d.price), "CNY",
         d.promised.isoformat(), d.delivered.isoformat())
        for d in world.deliveries
    ]  # fmt: skip
    return write_csv(out / "deliveries.csv", header, rows)


def write_inspections(out: Path, world: World) -> Path:
    """IQC system export with Chinese headers and slashed dates."""
    header = ("供应商代码", "物料编码", "批次号", "到货日期", "检验日期", "来料数量", "抽样数",
              "不良数", "不良类型", "判定", "AQL", "Cpk", "检验员")  # fmt: skip
    decision = {"accept": "合格", "reject": "不合格", "conditional": "特采"}
    rows = []
    for d in world.deliveries:
        assert d.inspected is not None
        rows.append(
            (d.supplier_id, d.part_no, d.lot_id, f"{d.delivered:%Y/%m/%d}",
             f"{d.inspected:%Y/%m/%d}", d.qty, d.sample, d.defects, d.defect_type or None,
             decision[d.decision], f"{d.aql:g}", None if d.cpk is None else f"{d.cpk:.2f}",
             d.inspector)
        )  # fmt: skip
    return write_csv(out / "inspections.csv", header, rows)


MEASUREMENT_HEADERS = {
    "S0012": ("供应商代码", "零件号", "批次号", "检验项目", "子组号", "样本号", "测量值(mm)",
              "测量时间", "量具编号", "测量员"),
    "S0005": ("供应商编码", "物料编码", "批号", "特性", "子组", "序号", "实测值", "检测时间",
              "检具编号", "检验员"),
    "S0021": ("供方代码", "料号", "生产批次", "测量项目", "组号", "样件号", "测量结果",
              "测量日期", "量具", "测量人"),
    "S0007": ("Supplier Code", "Part Number", "Lot No.", "Characteristic", "Subgroup",
              "Sample No.", "Measured Value (mm)", "Timestamp", "Gauge ID", "Inspector"),
    "S0018": ("Vendor Code", "Part No.", "Batch No.", "Feature", "Subgroup No.", "Piece No.",
              "Reading", "Measurement Time", "Instrument", "Measured By"),
}  # fmt: skip
MEASURERS = {
    "S0012": ("周慧", "钱伟"), "S0005": ("冯涛", "韩雪"), "S0021": ("邓超", "许晴"),
    "S0007": ("T. Schulz", "L. Becker"), "S0018": ("J. Nilsson", "K. Holm"),
}  # fmt: skip


def write_measurements(out: Path, world: World) -> list[Path]:
    """One file per supplier, as each supplier's SPC software exports it."""
    paths = []
    for sid, header in MEASUREMENT_HEADERS.items():
        rng = rng_for(f"measured-at/{sid}")
        rows = []
        series = [(key, s) for key, s in world.measurements.items() if key[0] == sid]
        part_no = series[0][0][1]
        lots = [lot_id for lot_id, _ in series[0][1]]
        for lot_id in lots:
            lot = world.lots[lot_id]
            assert isinstance(lot, Delivery)
            day = lot.delivered - timedelta(days=rng.randint(1, 3))
            start = datetime(day.year, day.month, day.day, 8, rng.randint(0, 40))
            for (_, _, char), lots_values in series:
                gauge = next(s[6] for s in SPC_SERIES if s[1] == part_no and s[2] == char)
                decimals = next(s[5] for s in SPC_SERIES if s[1] == part_no and s[2] == char)
                values = dict(lots_values)[lot_id]
                for i, value in enumerate(values):
                    subgroup, sample = divmod(i, SUBGROUP_SIZE)
                    at = start + timedelta(minutes=subgroup * 90, seconds=sample * 41 + 7)
                    stamp = (
                        at.strftime("%Y-%m-%d %H:%M:%S")
                        if sid != "S0021"
                        else at.strftime("%Y/%m/%d %H:%M")
                    )
                    rows.append(
                        (sid, part_no, lot_id, char, subgroup + 1, sample + 1,
                         f"{value:.{decimals}f}", stamp, gauge, MEASURERS[sid][subgroup % 2])
                    )  # fmt: skip
        paths.append(write_csv(out / f"measurements_{sid}_{part_no}.csv", header, rows))
    return paths


def write_genealogy(out: Path, world: World) -> Path:
    """MES consumption records with Chinese headers and LF line ends."""
    header = ("产出批次", "产出物料号", "投入批次", "投入物料号", "工单号", "操作员", "投料数量",
              "投料时间")  # fmt: skip
    rows = [
        (lot.lot_id, lot.part_no, child, part, lot.work_order, lot.operator, qty,
         at.strftime("%Y-%m-%d %H:%M:%S"))
        for lot, part, child, qty, at in genealogy_rows(world)
    ]  # fmt: skip
    return write_csv(out / "genealogy.csv", header, rows, newline="\n")


def write_shipments(out: Path, world: World) -> Path:
    """ERP outbound deliveries, Chinese headers."""
    header = ("发货单号", "成品批次", "成品编码", "客户名称", "发货数量", "发货日期", "收货地址")
    rows = [
        (dn, lot, part, customer, qty, day.isoformat(), CUSTOMERS[customer][0])
        for dn, lot, part, customer, qty, day in world.shipments
    ]
    return write_csv(out / "shipments.csv", header, rows)


def shipped_lot(world: World, product: str, customer: str, first: date, last: date) -> str:
    """The first lot of ``product`` shipped to ``customer`` between two dates."""
    return next(
        lot
        for _, lot, part, cust, _, day in world.shipments
        if part == product and cust == customer and first <= day <= last
    )


def lot_of_supplier(world: World, fg_lot: str, supplier_id: str) -> bool:
    """Whether a finished lot traces to any lot of a supplier."""
    lots = (world.lots.get(child) for child in trace_down(world, fg_lot))
    return any(isinstance(lot, Delivery) and lot.supplier_id == supplier_id for lot in lots)


# complaint id, customer, received, product, supplier, description, qty, severity, root cause,
# containment (days after received or None), closed (days after received or None), status
COMPLAINTS: tuple[tuple[object, ...], ...] = (
    ("C-2025-041", "长江智行汽车有限公司", date(2025, 11, 24), "P-9002", "S0014",
     "制动卡钳总成渗油", 6, "主要", "活塞密封圈压缩永久变形超标（胶料硫化不足）", 1, 25, "已关闭"),
    ("C-2025-044", "Nordwerk Automotive GmbH", date(2025, 12, 15), "P-9003", "S0010",
     "Pump housing leaks at sealing face (porosity)", 14, "Major",
     "泵壳压铸气孔，真空系统失效", 2, 39, "已关闭"),
    ("C-2026-003", "北方重卡集团有限公司", date(2026, 1, 20), "P-9004", None,
     "调角器手柄操作异响", 22, "轻微", "我方装配工序漏涂润滑脂", 1, 21, "已关闭"),
    ("C-2026-006", "上汽大众", date(2026, 3, 9), "P-9001", "S0005",
     "转向节总成安装孔位置度超差，无法装配", 9, "主要", "供应商夹具定位销磨损", 1, 30, "已关闭"),
    ("C-2026-009", "Pacific Drive Systems Inc.", date(2026, 5, 12), "P-9005", "S0026",
     "Tailgate strut does not move: Hall sensor open circuit", 3, "Critical",
     "Hall sensor IC wire bond lift-off (supplier)", 1, 49, "Closed"),
    ("C-2026-011", "南海电驱科技有限公司", date(2026, 6, 18), "P-9005", None,
     "撑杆外观划伤", 15, "轻微", "客户厂内搬运造成，非我方责任", 2, 7, "不成立"),
    ("C-2026-012", "Nordwerk Automotive GmbH", date(2026, 7, 14), "P-9003", "S0035",
     "Pump motor does not start (PCBA)", 5, "Critical", None, 1, None, "Open"),
    ("C-2026-014", "长江智行汽车有限公司", date(2026, 8, 20), "P-9002", "S0019",
     "制动活塞表面裂纹", 4, "主要", "粉末冶金活塞烧结裂纹（待供应商8D确认）", 6, None, "已围堵"),
    ("C-2026-016", "北方重卡集团有限公司", date(2026, 10, 9), "P-9004", "S0006",
     "调角器手柄卡扣断裂", 11, "轻微", None, 1, None, "处理中"),
    ("C-2026-017", "上汽大众", date(2026, 10, 20), "P-9001", "S0012",
     "轮毂轴承单元异响，拆检发现精密轴套外径偏大（实测Ø10.053），压装过盈超差", 37, "严重",
     None, 1, None, "处理中"),
)  # fmt: skip


def write_complaints(out: Path, world: World) -> Path:
    """The quality department's 8D log (Chinese headers)."""
    header = ("投诉编号", "客户", "投诉日期", "成品批次", "零件号", "责任供应商", "问题描述",
              "不良数量", "严重度", "根本原因", "围堵日期", "关闭日期", "状态")  # fmt: skip
    rows = []
    for (
        cid,
        customer,
        received,
        product,
        sid,
        text,
        qty,
        severity,
        cause,
        d3,
        d8,
        status,
    ) in COMPLAINTS:
        assert isinstance(received, date) and isinstance(product, str)
        assert isinstance(customer, str)
        if cid == DEMO_COMPLAINT:
            lot = DEMO_FG_LOT
        else:
            candidates = [
                s[1]
                for s in world.shipments
                if s[2] == product
                and s[3] == customer
                and received - timedelta(days=30) <= s[5] <= received - timedelta(days=5)
            ]
            lot = next(c for c in candidates if sid is None or lot_of_supplier(world, c, sid))
        contained = received + timedelta(days=d3) if isinstance(d3, int) else None
        closed = received + timedelta(days=d8) if isinstance(d8, int) else None
        rows.append(
            (cid, customer, received.isoformat(), lot, product, sid, text, qty, severity, cause,
             contained.isoformat() if contained else None,
             closed.isoformat() if closed else None, status)
        )  # fmt: skip
    return write_csv(out / "complaints.csv", header, rows, "utf-8-sig")


AUDITORS = ("赵磊", "孙丽", "周杰", "吴敏", "钱坤")
AUDIT_TYPES = {
    "system": "体系审核",
    "process": "过程审核",
    "product": "产品审核",
    "initial": "准入审核",
    "special": "专项审核",
}


def write_audits(out: Path, world: World) -> Path:
    """SQE audit plan and results; mixed headers. S0035 is overdue for its re-audit."""
    rng = rng_for("audits")
    header = ("审核编号", "Supplier Code", "审核日期", "审核类型", "审核得分", "不符合项数",
              "下次审核日期", "Auditor")  # fmt: skip
    bom_suppliers = {world.parts[p].supplier_id for sa in SUB_ASSEMBLIES.values() for p, _ in sa[2]}
    audits: list[tuple[str, date, str, float, int, date | None, str]] = []
    for sid, *_rest in SUPPLIERS:
        status = supplier_row(sid)[7]
        if status == "potential":
            audits.append((sid, date(2026, 9, 8), "initial", 78.0, 6, date(2027, 3, 8), "周杰"))
            continue
        months = 12 if sid in bom_suppliers else 24
        last = date(2025, 11, 3) + timedelta(days=rng.randint(0, 330))
        if sid == "S0035":
            last, months = date(2025, 9, 16), 12
        if rng.random() < 0.5 or sid in ("S0012", "S0035"):
            earlier = date(last.year - (months // 12), last.month, min(last.day, 28))
            audits.append((sid, earlier, "process", round(rng.uniform(80, 95), 1),
                           rng.randint(1, 6), add_months(earlier, months),
                           rng.choice(AUDITORS)))  # fmt: skip
        score = round(rng.uniform(76, 98), 1)
        audits.append((sid, last, rng.choice(("process", "process", "system", "product")),
                       score, max(0, round((100 - score) / 3) + rng.randint(-1, 2)),
                       add_months(last, months), rng.choice(AUDITORS)))  # fmt: skip
        if sid == "S0012":
            audits.append((sid, date(2026, 10, 22), "special", 64.5, 11, date(2027, 1, 22),
                           "赵磊"))  # fmt: skip
        if sid == "S0038":
            audits.append((sid, date(2026, 5, 19), "special", 61.0, 14, date(2026, 11, 19),
                           "吴敏"))  # fmt: skip
    audits.sort(key=lambda a: (a[1], a[0]))
    counts: dict[int, int] = defaultdict(int)
    rows = []
    for sid, day, kind, score, findings, due, auditor in audits:
        counts[day.year] += 1
        rows.append((f"A-{day.year}-{counts[day.year]:03d}", sid, day.isoformat(),
                     AUDIT_TYPES[kind], f"{score:.1f}", findings,
                     due.isoformat() if due else None, auditor))  # fmt: skip
    return write_csv(out / "audits.csv", header, rows)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months (day of month kept, at most 28)."""
    total = day.month - 1 + months
    return date(day.year + total // 12, total % 12 + 1, min(day.day, 28))


def write_price_reductions(out: Path, world: World) -> Path:
    """Purchasing's annual price reduction (年降) tracker, per quarter of 2026."""
    header = ("供应商代码", "物料号", "年度", "季度", "基准价", "新单价", "币种", "目标降幅",
              "实际降幅", "降本金额")  # fmt: skip
    rows = []
    for part_no, (target, achieved) in PRICE_REDUCTIONS.items():
        part = world.parts[part_no]
        for q in range(1, 5):
            new = round(part.price * (1 - achieved[q - 1] / 100), 2)
            qty = sum(
                d.qty
                for d in world.deliveries
                if d.part_no == part_no and d.delivered.year == 2026
                and quarter_of(d.delivered) == q
            )  # fmt: skip
            pct = (part.price - new) / part.price * 100
            step = target / 2 if q <= 2 else target
            rows.append(
                (part.supplier_id, part_no, 2026, f"Q{q}", price_text(part.price),
                 price_text(new), "RMB", f"{step:g}", f"{pct:.2f}",
                 thousands((part.price - new) * qty, 2))
            )  # fmt: skip
    return write_csv(out / "price_reductions.csv", header, rows, "utf-8-sig")


PPAP: tuple[tuple[object, ...], ...] = (
    ("S0005", "P-1021", "D", "工程变更", 3, date(2026, 1, 12), date(2026, 1, 26), "Approved"),
    ("S0021", "P-1101", "B", "模具修改", 3, date(2026, 2, 26), date(2026, 3, 13), "Approved"),
    ("S0026", "P-1126", "C", "Design change", 3, date(2026, 3, 20), date(2026, 4, 2), "Approved"),
    ("S0034", "P-1166", "A", "新零件", 3, date(2026, 4, 15), date(2026, 4, 30), "Interim"),
    ("S0019", "P-1091", "B", "工艺变更（烧结炉更换）", 3, date(2026, 5, 20), None, "Rejected"),
    ("S0019", "P-1091", "B", "工艺变更（烧结炉更换）", 3, date(2026, 7, 2), date(2026, 7, 20),
     "Approved"),
    ("S0027", "P-1131", "A", "生产场地变更", 3, date(2026, 7, 8), None, "Under Review"),
    ("S0036", "P-1176", "E", "Tooling replacement", 2, date(2026, 8, 24), date(2026, 9, 4),
     "Approved"),
    ("S0023", "P-1111", "C", "年度全尺寸再确认", 1, date(2026, 9, 14), date(2026, 9, 16),
     "Approved"),
    ("S0040", "P-1196", "A", "新供应商新零件", 3, date(2026, 10, 12), None, "Submitted"),
)  # fmt: skip


def write_ppap(out: Path) -> Path:
    """The SQE's PPAP tracker, English headers."""
    header = ("PPAP No.", "Supplier Code", "Part No.", "Drawing Rev", "Reason for Submission",
              "PPAP Level", "Submission Date", "Approval Date", "PPAP Status")  # fmt: skip
    rows = []
    for i, (sid, part, rev, reason, level, submitted, approved, status) in enumerate(PPAP, 1):
        assert isinstance(submitted, date)
        approval = approved.isoformat() if isinstance(approved, date) else None
        rows.append(
            (f"PPAP-2026-{i:03d}", sid, part, rev, reason, level, submitted.isoformat(), approval,
             status)
        )  # fmt: skip
    return write_csv(out / "ppap.csv", header, rows)


ESG_SUPPLIERS = {
    # supplier: (energy kWh a month, tCO2e per MWh, water m3, waste t, recycled %)
    "S0003": (820_000, 0.62, 5200, 58.0, 91.0),
    "S0009": (640_000, 0.60, 3900, 41.0, 88.0),
    "S0010": (710_000, 0.61, 4300, 47.0, 89.5),
    "S0012": (185_000, 0.58, 1650, 12.5, 84.0),
    "S0014": (96_000, 0.57, 880, 6.8, 72.0),
    "S0021": (240_000, 0.57, 1300, 9.6, 78.0),
    "S0028": (1_150_000, 0.66, 7400, 83.0, 93.0),
    "S0034": (930_000, 0.59, 6100, 52.0, 95.0),
}


def write_esg(out: Path) -> Path:
    """Monthly ESG figures of the energy-heavy suppliers; S0028 has not sent 2026-10 yet."""
    rng = rng_for("esg")
    header = ("供应商代码", "统计月份", "用电量(kWh)", "碳排放(tCO2e)", "用水量(m3)", "废弃物(吨)",
              "回收利用率", "安全环保事故")  # fmt: skip
    rows = []
    for sid, (energy, factor, water, waste, recycled) in ESG_SUPPLIERS.items():
        for month in month_starts():
            if sid == "S0028" and month.month == 10 and month.year == 2026:
                continue
            season = 1.0 - (0.25 if month.month == 2 else 0.0)
            kwh = round(energy * season * rng.uniform(0.92, 1.08), -2)
            co2 = kwh / 1000 * factor * rng.uniform(0.98, 1.02)
            incidents = 1 if rng.random() < 0.04 else 0
            rows.append(
                (sid, f"{month:%Y-%m}", thousands(kwh), f"{co2:.1f}",
                 thousands(water * season * rng.uniform(0.9, 1.1)),
                 f"{waste * season * rng.uniform(0.85, 1.15):.1f}",
                 f"{min(99.0, recycled + rng.uniform(-2, 2)):.1f}", incidents)
            )  # fmt: skip
    return write_csv(out / "esg.csv", header, rows)


PROJECTS: tuple[tuple[object, ...], ...] = (
    ("IP-2025-009", "S0005", "转向节安装孔加工夹具改进", "P-1021", "孙浩", date(2025, 11, 3),
     date(2025, 12, 31), date(2025, 12, 19), "已完成", 60000),
    ("IP-2026-001", "S0014", "降低活塞密封圈压缩永久变形", "P-1066", "徐静", date(2026, 1, 5),
     date(2026, 3, 31), date(2026, 3, 27), "已完成", 85000),
    ("IP-2026-002", "S0010", "泵壳真空压铸降低气孔率", "P-1046", "高峰", date(2026, 1, 19),
     date(2026, 5, 31), date(2026, 5, 29), "已完成", 240000),
    ("IP-2026-003", "S0026", "Hall sensor IC incoming screening and wire-bond pull test",
     "P-1126", "Michael Carter", date(2026, 5, 25), date(2026, 8, 31), date(2026, 8, 14),
     "Completed", 30000),
    ("IP-2026-004", "S0035", "PCBA焊接空洞改善", "P-1171", "罗敏", date(2026, 7, 20),
     date(2026, 9, 30), None, "进行中", 120000),
    ("IP-2026-005", "S0027", "交付准时率提升（新增一台注塑机）", None, "谢军", date(2026, 9, 15),
     date(2026, 12, 31), None, "进行中", None),
    ("IP-2026-006", "S0012", "精密轴套外径尺寸稳定性提升（Cpk≥1.67）", "P-1056", "赵磊",
     date(2026, 10, 22), date(2027, 1, 31), None, "进行中", None),
    ("IP-2026-007", "S0033", "Delivery reliability: safety stock and weekly call-off", None,
     "宋佳", date(2026, 11, 9), date(2027, 2, 28), None, "计划中", None),
)  # fmt: skip


def write_projects(out: Path) -> Path:
    """Supplier improvement projects (Excel list, Chinese headers)."""
    header = ("项目编号", "供应商代码", "项目名称", "物料编码", "项目负责人", "开始日期",
              "计划完成日期", "实际完成日期", "项目状态", "年化收益", "币种")  # fmt: skip
    rows = []
    for pid, sid, title, part, owner, start, due, done, status, savings in PROJECTS:
        assert isinstance(start, date)
        rows.append((pid, sid, title, part, owner, start.isoformat(),
                     due.isoformat() if isinstance(due, date) else None,
                     done.isoformat() if isinstance(done, date) else None, status,
                     thousands(savings) if isinstance(savings, int) else None,
                     "人民币" if savings else None))  # fmt: skip
    return write_csv(out / "improvement_projects.csv", header, rows, "utf-8-sig")


# --- story checks -----------------------------------------------------------------------------
def record_story(world: World) -> None:
    """Find the ids of the story and check that the data really tell it."""
    lots = regular_lots(world, STREAK_PART)
    last5 = [d for d in world.deliveries if d.part_no == STREAK_PART][-5:]
    concession = next(d for d in lots if d.decision == "conditional")
    rejected = [d for d in lots if d.decision == "reject"]
    world.story["concession_lot"] = concession.lot_id
    world.story["rejected_lots"] = [d.lot_id for d in rejected]
    world.story["last5"] = [(d.lot_id, d.decision) for d in last5]
    assert sum(d.decision == "reject" for d in last5) == 2, world.story["last5"]
    target = next(lot for lot in world.fg_lots if lot.lot_id == DEMO_FG_LOT)
    sa_inputs = [child for part, child, _, _ in target.inputs if part == DEMO_SA_PART]
    assert len(sa_inputs) == 2, sa_inputs
    for sa_id in sa_inputs:
        sa = next(lot for lot in world.sa_lots if lot.lot_id == sa_id)
        assert concession.lot_id in [c for _, c, _, _ in sa.inputs], (sa_id, sa.inputs)
    world.story["demo_sa_lots"] = sa_inputs


def story_after_spc(world: World) -> None:
    """The Cpk streak: the last three lots of the streak series are below 1.33."""
    part = world.parts[STREAK_PART]
    limits = next(c for c in part.chars if c[0] == STREAK_CHAR)
    series = world.measurements[STREAK_SUPPLIER, STREAK_PART, STREAK_CHAR]
    cpks = [(lot_id, lot_cpk(v, float(limits[1]), float(limits[2]))) for lot_id, v in series]
    low = [lot_id for lot_id, cpk in cpks if cpk < 1.33]
    world.story["streak_lots"] = low
    world.story["streak_cpk"] = [round(c, 2) for _, c in cpks]
    assert low == [lot_id for lot_id, _ in cpks[-3:]], cpks
    assert world.story["concession_lot"] == low[0], (low, world.story["concession_lot"])


def generate(outdir: Path) -> tuple[list[Path], World]:
    """Build the whole world and write every file into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    world = World()
    build_parts(world)
    plan_finished_lots(world)
    plan_sub_assemblies(world)
    assign_work_orders(world)
    needs = purchased_demand(world)
    build_deliveries(world, needs)
    inspect_all(world)
    for lot in world.sa_lots + world.fg_lots:
        world.lots[lot.lot_id] = lot
    consume(world, needs)
    record_story(world)
    measure(world)
    story_after_spc(world)
    ship(world)
    paths = [
        write_suppliers(outdir),
        write_parts(outdir, world),
        write_certificates(outdir),
        write_deliveries(outdir, world),
        write_inspections(outdir, world),
        *write_measurements(outdir, world),
        write_complaints(outdir, world),
        write_audits(outdir, world),
        write_price_reductions(outdir, world),
        write_ppap(outdir),
        write_esg(outdir),
        write_projects(outdir),
        write_genealogy(outdir, world),
        write_shipments(outdir, world),
    ]
    return paths, world


def main(argv: Sequence[str] | None = None) -> int:
    """Write the demo workspace files into OUTDIR and print the story's ids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", type=Path, help="folder to write the CSV files into")
    args = parser.parse_args(argv)
    paths, world = generate(args.outdir)
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    for key, value in world.story.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
