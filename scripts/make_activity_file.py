#!/usr/bin/env python
"""Make a venue check-in export of activities, as CSV or XLSX, and time its import (not a test; prints figures).

    .venv/bin/python scripts/make_activity_file.py                    # 5,000 rows, times CSV and XLSX
    .venv/bin/python scripts/make_activity_file.py --rows 800 --out /tmp/may.xlsx

The columns are those of a typical check-in system (序号, 签到日期, 活动名称, 活动类别,
活动室, 签到人数, 负责人, 备注), the dates fall in May 2026 and the XLSX holds real
date cells. The functions are also used by tests/contracts/test_imports.py.
The target is well under 2 s for 5,000 rows.
"""

import argparse
import csv
import datetime
import io
import os
import random
import sys
import time
from pathlib import Path

HEADERS = ("序号", "签到日期", "活动名称", "活动类别", "活动室", "签到人数", "负责人", "备注")
PERIOD_START = datetime.date(2026, 5, 1)
PERIOD_END = datetime.date(2026, 5, 31)
TARGET_SECONDS = 2.0

_TITLES = {
    "培训": ("电工技能培训", "育婴师培训班", "电脑基础课", "职工心理健康讲座", "直播带货技能课"),
    "文化": ("书法兴趣班", "合唱团排练", "职工读书会", "民乐合奏", "摄影沙龙"),
    "体育": ("太极拳晨练", "乒乓球友谊赛", "瑜伽课", "羽毛球训练", "广场舞教学"),
    "健康": ("中医义诊", "血压血糖筛查", "急救知识培训", "职业病防治讲座"),
    "法律援助": ("劳动合同咨询", "欠薪维权答疑", "工伤认定讲座"),
    "其他": ("亲子手工", "志愿服务日", "职工相亲会"),
}
_ROOMS = ("一楼多功能厅", "二楼培训室201", "三楼舞蹈室", "体育馆", "书画室", "心理咨询室", "报告厅")
_LEADS = ("张老师", "李老师", "王教练", "赵律师", "刘医生")


def activity_records(rows: int = 5000, *, seed: int = 2026) -> list[tuple]:
    """Rows of (序号, date, title, category, room, participants, lead, note), dates in May 2026."""
    rng = random.Random(seed)  # the same file every time
    days = (PERIOD_END - PERIOD_START).days + 1
    records = []
    for number in range(1, rows + 1):
        category = rng.choice(tuple(_TITLES))
        records.append(
            (
                number,
                PERIOD_START + datetime.timedelta(days=rng.randrange(days)),
                f"{rng.choice(_TITLES[category])}（第{rng.randint(1, 12)}期）",
                category,
                rng.choice(_ROOMS),
                rng.randint(5, 120),
                rng.choice(_LEADS),
                rng.choice(("", "", "", "含线上参与", "雨天改室内")),
            )
        )
    return records


def activity_csv(
    records: list[tuple], *, encoding: str = "gb18030", headers: tuple = HEADERS, date_format: str = "%Y/%m/%d"
) -> bytes:
    """The records as a CSV, dates written the way Chinese Excel writes them by default."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(headers)
    for record in records:
        writer.writerow(
            [value.strftime(date_format) if isinstance(value, datetime.date) else value for value in record]
        )
    return text.getvalue().encode(encoding)


def activity_xlsx(records: list[tuple], *, headers: tuple = HEADERS) -> bytes:
    """The records as an XLSX workbook with real date cells."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("签到记录")
    sheet.append(headers)
    for record in records:
        sheet.append(record)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _time_import(name: str, content: bytes, repeat: int) -> tuple[float, int]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from contracts.imports import parse_activities

    best = float("inf")
    for _ in range(repeat):
        upload = SimpleUploadedFile(name, content)
        started = time.perf_counter()
        activities = parse_activities(upload, period_start=PERIOD_START, period_end=PERIOD_END)
        best = min(best, time.perf_counter() - started)
    return best, len(activities)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--out", type=Path, help="also write the file here (.csv or .xlsx)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()

    records = activity_records(args.rows)
    files = {"csv": activity_csv(records), "xlsx": activity_xlsx(records)}
    if args.out:
        args.out.write_bytes(files["xlsx" if args.out.suffix.lower() == ".xlsx" else "csv"])
        print(f"wrote {args.out}")
    slow = False
    for kind, content in files.items():
        seconds, count = _time_import(f"activities.{kind}", content, args.repeat)
        slow |= seconds >= TARGET_SECONDS
        print(
            f"{kind:>4}: {count} activities, {len(content) / 1024:.0f} KiB, parsed in {seconds:.3f} s "
            f"(best of {args.repeat})"
        )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
