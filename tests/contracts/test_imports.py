import datetime
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from contracts import imports
from contracts.imports import ActivityRow, ImportRejected, parse_activities
from scripts.make_activity_file import activity_csv, activity_records, activity_xlsx

from ..factories import PNG_BYTES

MAY_1 = datetime.date(2026, 5, 1)
MAY_31 = datetime.date(2026, 5, 31)
ZH_HEADER = "日期,活动名称,类别,场地,人数"


@pytest.fixture(autouse=True)
def _english():
    # The msgids are English; asserting on them keeps the tests independent of the catalogue.
    with translation.override("en"):
        yield


def csv_upload(text: str, *, encoding: str = "utf-8", name: str = "activities.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows: list[list], *, caption: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if caption:
        sheet.append([caption])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_upload(rows: list[list], **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile("activities.xlsx", xlsx_bytes(rows, **kwargs))


def parse(upload, **kwargs) -> list[ActivityRow]:
    kwargs.setdefault("period_start", MAY_1)
    kwargs.setdefault("period_end", MAY_31)
    return parse_activities(upload, **kwargs)


def rejection(upload, **kwargs) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportRejected) as caught:
        parse(upload, **kwargs)
    assert caught.value.field == "file"
    assert str(caught.value) == imports.ERR_SUMMARY % {"count": len(caught.value.errors)}
    return caught.value.errors


def only_file_error(upload, **kwargs) -> str:
    errors = rejection(upload, **kwargs)
    assert len(errors) == 1 and errors[0][0] is None, errors
    return errors[0][1]


# --- good files ----------------------------------------------------------------------------------


def test_chinese_headers_in_gb18030_csv_are_read():
    records = activity_records(20)
    activities = parse(SimpleUploadedFile("签到.csv", activity_csv(records, encoding="gb18030")))

    assert len(activities) == 20
    first = records[0]
    assert activities[0] == ActivityRow(
        row=2,
        date=first[1],
        title=first[2],
        category=imports._CATEGORIES[first[3]],
        place=first[4],
        participants=first[5],
    )
    assert [a.row for a in activities] == list(range(2, 22))
    assert sum(a.participants for a in activities) == sum(r[5] for r in records)


def test_utf8_bom_csv_is_read():
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,书法班,文化,书画室,35\n", encoding="utf-8-sig")

    assert parse(upload) == [ActivityRow(2, datetime.date(2026, 5, 3), "书法班", "culture", "书画室", 35)]


def test_english_headers_in_another_order_with_extra_columns_and_semicolons():
    upload = csv_upload(
        "Venue; Attendance ;Notes;TITLE;Category;Date;Lead\n"
        "Hall 1;12;;Tai chi;Sports;2026-05-04;Wang\n"
        "Room 201;8;rainy;Labour law Q&A;legal aid;2026-05-05;Zhao\n"
    )

    assert parse(upload) == [
        ActivityRow(2, datetime.date(2026, 5, 4), "Tai chi", "sports", "Hall 1", 12),
        ActivityRow(3, datetime.date(2026, 5, 5), "Labour law Q&A", "legal_aid", "Room 201", 8),
    ]


def test_header_variants_full_width_brackets_and_units_are_recognised():
    upload = csv_upload("*活动日期,活动 名称,活动类别（必填）,活动室：,签到人数(人)\n2026.5.6,合唱排练,文艺,三楼,20\n")

    assert parse(upload)[0].title == "合唱排练"


def test_utf16_tab_separated_unicode_text_is_read():
    text = "签到日期\t活动\t类型\t地点\t参与人数\r\n2026/5/7\t瑜伽\t健身\t舞蹈室\t15\r\n"
    upload = csv_upload(text, encoding="utf-16")

    assert parse(upload) == [ActivityRow(2, datetime.date(2026, 5, 7), "瑜伽", "sports", "舞蹈室", 15)]


def test_xlsx_with_real_date_cells():
    upload = xlsx_upload(
        [
            ["序号", "签到日期", "活动名称", "活动类别", "活动室", "签到人数"],
            [1, datetime.date(2026, 5, 3), "电工技能培训", "培训", 201, 30],
            [2, datetime.datetime(2026, 5, 31, 19, 30), "广场舞教学", "体育", "广场", 45.0],
        ]
    )

    assert parse(upload) == [
        ActivityRow(2, datetime.date(2026, 5, 3), "电工技能培训", "training", "201", 30),
        ActivityRow(3, datetime.date(2026, 5, 31), "广场舞教学", "sports", "广场", 45),
    ]


def test_caption_row_above_the_header_is_skipped_and_rows_keep_excel_numbers():
    upload = xlsx_upload(
        [ZH_HEADER.split(","), ["2026-05-08", "读书会", "文化", "图书室", 9]], caption="2026年5月签到记录"
    )

    assert parse(upload) == [ActivityRow(3, datetime.date(2026, 5, 8), "读书会", "culture", "图书室", 9)]


def test_xlsx_rows_below_a_stale_dimension_are_still_read():
    data = xlsx_bytes([ZH_HEADER.split(",")] + [["2026-05-09", f"第{i}期", "其他", "大厅", i] for i in range(1, 6)])
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:E2"', content)
            new.writestr(item, content)

    assert [a.participants for a in parse(SimpleUploadedFile("a.xlsx", target.getvalue()))] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "written",
    [
        "2026-05-03",
        "2026/5/3",
        "2026.5.3",
        "2026年5月3日",
        " 2026-5-3 ",
        "2026/05/03 09:30",
        "2026-05-03T09:30:15",
        "２０２６－０５－０３",
    ],
)
def test_accepted_date_spellings(written):
    upload = csv_upload(f"{ZH_HEADER}\n{written},讲座,讲座,报告厅,50\n")

    assert parse(upload)[0].date == datetime.date(2026, 5, 3)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("培训", "training"),
        ("技能培训", "training"),
        ("讲座", "training"),
        ("TRAINING", "training"),
        ("文化", "culture"),
        ("文艺", "culture"),
        ("文化活动", "culture"),
        ("Culture", "culture"),
        ("体育", "sports"),
        ("运动", "sports"),
        ("健身", "sports"),
        ("sports", "sports"),
        ("健康", "health"),
        ("义诊", "health"),
        ("Health", "health"),
        ("法律", "legal_aid"),
        ("法律援助", "legal_aid"),
        ("普法", "legal_aid"),
        ("LEGAL_AID", "legal_aid"),
        ("Legal aid", "legal_aid"),
        ("其他", "other"),
        ("other", "other"),
    ],
)
def test_category_codes_labels_and_synonyms(written, value):
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,活动,{written},大厅,1\n")

    assert parse(upload)[0].category == value


@pytest.mark.parametrize(
    ("written", "count"),
    [("35", 35), ("35人", 35), ("35 人次", 35), ("35.0", 35), ("1,200", 1200), ("0", 0), ("３５", 35)],
)
def test_participant_spellings(written, count):
    upload = csv_upload(f'{ZH_HEADER}\n2026-05-03,活动,其他,大厅,"{written}"\n')

    assert parse(upload)[0].participants == count


def test_blank_rows_are_skipped():
    upload = csv_upload(f"{ZH_HEADER}\n\n2026-05-03,甲,其他,大厅,1\n , , ,,\n,,,,\n2026-05-04,乙,其他,大厅,2\n\n")

    assert [(a.row, a.title) for a in parse(upload)] == [(3, "甲"), (6, "乙")]


def test_html_in_a_title_is_kept_verbatim():
    title = '<script>alert("x")</script> & <b>书法</b>'
    upload = csv_upload(f'{ZH_HEADER}\n2026-05-03,"{title.replace(chr(34), chr(34) * 2)}",文化,大厅,1\n')

    assert parse(upload)[0].title == title


def test_quoted_cells_spanning_lines_count_as_one_excel_row():
    upload = csv_upload(f'{ZH_HEADER}\n2026-05-03,"两行\n标题",文化,大厅,1\n2026-05-04,乙,文化,大厅,1\n')

    assert [(a.row, a.title) for a in parse(upload)] == [(2, "两行\n标题"), (3, "乙")]


def test_five_thousand_rows_csv_and_xlsx():
    records = activity_records(5000)
    expected_sum = sum(r[5] for r in records)
    for name, content in (("big.csv", activity_csv(records)), ("big.xlsx", activity_xlsx(records))):
        activities = parse(SimpleUploadedFile(name, content))
        assert len(activities) == 5000, name
        assert sum(a.participants for a in activities) == expected_sum, name
        assert activities[-1].row == 5001


# --- whole-file problems -------------------------------------------------------------------------


def test_empty_file_is_rejected():
    assert only_file_error(SimpleUploadedFile("a.csv", b"")) == imports.ERR_EMPTY
    assert only_file_error(csv_upload("\n \n,,\n")) == imports.ERR_EMPTY


def test_header_without_rows_is_rejected():
    assert only_file_error(csv_upload(f"{ZH_HEADER}\n\n,,,,\n")) == imports.ERR_NO_ACTIVITIES


def test_missing_columns_are_named():
    message = only_file_error(csv_upload("日期,活动名称,场地\n2026-05-03,甲,大厅\n"))

    assert message.startswith("The header row has no column for: Category (类别 / ")
    assert "Participants (人数 / 签到人数" in message and "attendance" in message
    assert "Date" not in message and "Place" not in message


def test_two_columns_meaning_the_same_is_rejected():
    message = only_file_error(csv_upload(f"{ZH_HEADER},签到日期\n2026-05-03,甲,其他,大厅,1,2026-05-04\n"))

    assert message == imports.ERR_DUPLICATE_COLUMN % {"first": "日期", "second": "签到日期", "column": "Date"}


def test_file_over_10_mb_is_rejected():
    big = (ZH_HEADER + "\n").encode().ljust(11 * 1024 * 1024, b"\n")

    message = only_file_error(SimpleUploadedFile("big.csv", big))

    assert message == imports.ERR_TOO_LARGE % {"size": "11.0\xa0MB", "limit": "10.0\xa0MB"}
    assert "10.0" in message


def test_file_larger_than_it_claims_is_rejected():
    class Lying(io.BytesIO):
        name, size = "a.csv", 10

    message = only_file_error(Lying(b"x" * (imports.MAX_BYTES + 1)))

    assert message.endswith("the limit is 10.0\xa0MB.")


def test_more_rows_than_the_limit_is_rejected():
    upload = csv_upload(ZH_HEADER + "\n" + "2026-05-03,活动,其他,大厅,1\n" * 6)

    assert only_file_error(upload, max_rows=5) == imports.ERR_TOO_MANY_ROWS % {"limit": 5}
    assert len(parse(csv_upload(ZH_HEADER + "\n" + "2026-05-03,活动,其他,大厅,1\n" * 5), max_rows=5)) == 5


def test_legacy_xls_gets_save_as_advice():
    upload = SimpleUploadedFile("old.xls", imports.OLE2_MAGIC + b"\x00" * 1024)

    message = only_file_error(upload)

    assert message == imports.ERR_LEGACY_XLS
    assert ".xlsx or CSV" in message


def test_png_renamed_csv_is_rejected():
    assert only_file_error(SimpleUploadedFile("photo.csv", PNG_BYTES)) == imports.ERR_NOT_SPREADSHEET % {"kind": "PNG"}


@pytest.mark.parametrize(
    "junk",
    [
        bytes(range(256)) * 4,
        b"\x80\x81\xfe\xff" * 100,
        b"\x00\x01\x02garbage",
    ],
)
def test_binary_junk_is_rejected(junk):
    message = only_file_error(SimpleUploadedFile("junk.csv", junk))

    assert message in (imports.ERR_ENCODING, imports.ERR_BINARY % {"line": 1})


def test_zip_that_is_not_a_workbook_is_rejected():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    assert only_file_error(SimpleUploadedFile("a.xlsx", out.getvalue())) == imports.ERR_XLSX_UNREADABLE


def test_truncated_xlsx_is_rejected():
    data = xlsx_bytes([ZH_HEADER.split(",")])

    assert only_file_error(SimpleUploadedFile("a.xlsx", data[: len(data) // 2])) == imports.ERR_XLSX_UNREADABLE


def test_nul_bytes_in_csv_are_rejected():
    text = f"{ZH_HEADER}\n2026-05-03,甲,其他,大厅,1\n2026-05-04,乙\x00,其他,大厅,1\n"
    upload = SimpleUploadedFile("a.csv", text.encode())

    assert only_file_error(upload) == imports.ERR_BINARY % {"line": 3}


def test_unterminated_quote_is_rejected_with_its_line():
    upload = csv_upload(
        f'{ZH_HEADER}\n2026-05-03,甲,其他,大厅,1\n2026-05-04,"乙,其他,大厅,1\n2026-05-05,丙,其他,大厅,1\n'
    )

    assert only_file_error(upload) == imports.ERR_CSV_QUOTES % {"line": 3}


def test_text_after_a_closing_quote_is_rejected():
    upload = csv_upload(f'{ZH_HEADER}\n2026-05-03,"甲"乙,其他,大厅,1\n')

    assert only_file_error(upload) == imports.ERR_CSV_QUOTES % {"line": 2}


def test_undecodable_text_is_rejected():
    upload = SimpleUploadedFile("a.csv", ZH_HEADER.encode("gb18030") + b"\n2026-05-03,\x80\x80,other,hall,1\n")

    assert only_file_error(upload) == imports.ERR_ENCODING


# --- row problems --------------------------------------------------------------------------------


def test_xlsx_formula_cell_is_rejected_with_its_row():
    upload = xlsx_upload(
        [
            ["日期", "活动名称", "类别", "场地", "人数", "备注"],
            [datetime.date(2026, 5, 3), "甲", "其他", "大厅", 10, None],
            [datetime.date(2026, 5, 4), "乙", "其他", "大厅", "=E2*2", None],
            [datetime.date(2026, 5, 5), "丙", "其他", "大厅", 12, "=NOW()"],
        ]
    )

    assert rejection(upload) == [
        (3, imports.ERR_ROW_FORMULA % {"row": 3, "columns": "人数"}),
        (4, imports.ERR_ROW_FORMULA % {"row": 4, "columns": "备注"}),
    ]


def test_xlsx_error_cell_is_reported():
    data = xlsx_bytes([ZH_HEADER.split(","), ["2026-05-03", "甲", "其他", "大厅", 1]])
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<c r="E2"[^>]*>.*?</c>', b'<c r="E2" t="e"><v>#N/A</v></c>', content)
            new.writestr(item, content)

    assert rejection(SimpleUploadedFile("a.xlsx", target.getvalue())) == [
        (2, imports.ERR_ROW_CELL_ERROR % {"row": 2, "column": "Participants", "value": "#N/A"}),
    ]


def test_dates_outside_the_period_are_rejected():
    upload = csv_upload(
        f"{ZH_HEADER}\n2026-04-30,甲,其他,大厅,1\n2026-05-31,乙,其他,大厅,1\n2026-07-01,丙,其他,大厅,1\n"
    )

    assert rejection(upload) == [
        (2, "Row 2: the date 2026-04-30 is outside the report period 2026-05-01 – 2026-05-31."),
        (4, "Row 4: the date 2026-07-01 is outside the report period 2026-05-01 – 2026-05-31."),
    ]


def test_negative_participants_get_their_own_message():
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,甲,其他,大厅,-3\n2026-05-03,乙,其他,大厅,-0.5\n")
    xlsx = xlsx_upload([ZH_HEADER.split(","), ["2026-05-03", "甲", "其他", "大厅", -3]])

    assert rejection(upload) == [
        (2, imports.ERR_ROW_PARTICIPANTS_NEGATIVE % {"row": 2, "value": "-3"}),
        (3, imports.ERR_ROW_PARTICIPANTS_NEGATIVE % {"row": 3, "value": "-0.5"}),
    ]
    assert rejection(xlsx) == [(2, imports.ERR_ROW_PARTICIPANTS_NEGATIVE % {"row": 2, "value": "-3"})]


@pytest.mark.parametrize("written", ["many", "3.5", "十", "=1+1", "1e3"])
def test_participants_that_are_not_a_whole_number_are_rejected(written):
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,甲,其他,大厅,{written}\n")

    assert rejection(upload) == [(2, imports.ERR_ROW_PARTICIPANTS_INVALID % {"row": 2, "value": written})]


def test_absurd_participants_are_rejected():
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,甲,其他,大厅,100001\n2026-05-03,乙,其他,大厅,100000\n")

    assert rejection(upload) == [
        (2, imports.ERR_ROW_PARTICIPANTS_ABSURD % {"row": 2, "value": "100001", "limit": 100000}),
    ]


def test_unknown_category_lists_the_accepted_values():
    upload = csv_upload(f"{ZH_HEADER}\n2026-05-03,甲,聚餐,大厅,1\n")

    [(row, message)] = rejection(upload)

    assert row == 2
    assert message == (
        "Row 2: the category “聚餐” is not recognised. Use one of: Training (training), Culture (culture), "
        "Sports (sports), Health (health), Legal aid (legal_aid), Other (other)."
    )


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1 亲子活动", "-趣味运动会", "@SUM(A1)"])
def test_formula_looking_title_or_place_is_rejected(title):
    quoted = title.replace('"', '""')
    upload = csv_upload(f'{ZH_HEADER}\n2026-05-03,"{quoted}",其他,大厅,1\n2026-05-03,甲,其他,"{quoted}",1\n')

    assert rejection(upload) == [
        (2, imports.ERR_ROW_TITLE_FORMULA % {"row": 2, "value": title, "char": title[0]}),
        (3, imports.ERR_ROW_PLACE_FORMULA % {"row": 3, "value": title, "char": title[0]}),
    ]


def test_too_long_title_and_place_are_rejected():
    upload = csv_upload(
        f"{ZH_HEADER}\n2026-05-03,{'长' * 201},其他,{'地' * 101},1\n2026-05-03,{'长' * 200},其他,{'地' * 100},1\n"
    )

    assert rejection(upload) == [
        (2, imports.ERR_ROW_TITLE_TOO_LONG % {"row": 2, "length": 201, "limit": 200}),
        (2, imports.ERR_ROW_PLACE_TOO_LONG % {"row": 2, "length": 101, "limit": 100}),
    ]


def test_every_bad_row_is_listed_and_nothing_is_returned():
    lines = [ZH_HEADER]
    for day in range(1, 31):
        lines.append(f"2026-05-{day:02d},活动{day},其他,大厅,{day}")
    lines[5] = "2026-02-30,活动,其他,大厅,1"  # row 6: no such day
    lines[9] = ",,,,"  # row 10: blank, skipped
    lines[12] = "2026-05-12,,其他,,1"  # row 13: title and place missing
    lines[20] = "2026-05-20,活动,聚餐,大厅,-1"  # row 21: two problems
    lines[25] = "yesterday,活动,其他,大厅,2"  # row 26
    lines.append(",,,,,,,备注：以上由系统导出")  # row 32: only an ignored column
    upload = csv_upload("\n".join(lines) + "\n")

    errors = rejection(upload)

    assert [row for row, _message in errors] == [6, 13, 13, 21, 21, 26, 32]
    assert errors[0][1] == imports.ERR_ROW_DATE_INVALID % {"row": 6, "value": "2026-02-30"}
    assert errors[1][1] == imports.ERR_ROW_TITLE_MISSING % {"row": 13}
    assert errors[2][1] == imports.ERR_ROW_PLACE_MISSING % {"row": 13}
    assert errors[4][1] == imports.ERR_ROW_PARTICIPANTS_NEGATIVE % {"row": 21, "value": "-1"}
    assert errors[6][1] == imports.ERR_ROW_NOTHING % {"row": 32}
    assert all(message.startswith(f"Row {row}") for row, message in errors)


def test_missing_values_are_each_reported():
    upload = csv_upload(f"{ZH_HEADER},备注\n,,,,,note\n2026-05-03,,,,,\n")

    errors = rejection(upload)

    assert errors[0] == (2, imports.ERR_ROW_NOTHING % {"row": 2})
    assert [message for _row, message in errors[1:]] == [
        imports.ERR_ROW_TITLE_MISSING % {"row": 3},
        imports.ERR_ROW_CATEGORY_MISSING % {"row": 3, "accepted": imports._accepted_categories()},
        imports.ERR_ROW_PLACE_MISSING % {"row": 3},
        imports.ERR_ROW_PARTICIPANTS_MISSING % {"row": 3},
    ]


def test_messages_follow_the_active_language():
    upload = csv_upload(f"{ZH_HEADER}\n2026-07-01,甲,其他,大厅,1\n")
    with translation.override("zh-hans"):
        [(_row, message)] = rejection(upload)
        assert message == str(
            imports.ERR_ROW_DATE_OUTSIDE
            % {
                "row": 2,
                "date": "2026-07-01",
                "start": "2026-05-01",
                "end": "2026-05-31",
            }
        )


def test_excel_delimiter_hint_line_is_honoured():
    upload = csv_upload(f"sep=;\r\n{ZH_HEADER.replace(',', ';')}\r\n2026-05-03;甲,乙;其他;大厅;1\r\n")

    assert parse(upload) == [ActivityRow(2, datetime.date(2026, 5, 3), "甲,乙", "other", "大厅", 1)]
