"""The bill as a PDF (电费通知单), set in the project's CJK face (core.pdf), embedded as a subset."""

from __future__ import annotations

import datetime as dt
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import Bill
from billing.services.ledger import outstanding
from core.pdf import cjk_document_options, cjk_font

FONT = cjk_font()
BRAND = colors.HexColor("#0b5d4b")
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=20, textColor=BRAND)
TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555"))
STATUS_LABELS = {
    "issued": "待缴费 Due",
    "paid": "已缴清 Paid in full",
    "partially_paid": "部分缴费 Partly paid",
    "held": "审核中 Under review",
    "void": "已作废 Void",
    "draft": "草稿 Draft",
}
# The registers as a Chinese customer reads them on the meter (示数), English after.
REGISTER_LABELS = {
    "total": "总 Total",
    "sharp": "尖峰 Sharp peak",
    "peak": "高峰 Peak",
    "flat": "平段 Flat",
    "valley": "低谷 Valley",
    "reactive": "无功 Reactive (kvarh)",
    "max_demand": "最大需量 Max demand (kW)",
}
REGISTER_ORDER = {name: i for i, name in enumerate(REGISTER_LABELS)}


def _table(rows: list[list], widths: list[float], *, header: bool = True, right_from: int = 1) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("ALIGN", (right_from, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.HexColor("#cccccc")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f3ef")), ("TEXTCOLOR", (0, 0), (-1, 0), BRAND)]
    table.setStyle(TableStyle(style))
    return table


def _tier_progress(bill: Bill) -> str:
    after = bill.annual_kwh_before + bill.total_kwh
    version = bill.tariff.versions.filter(tier1_max_kwh__isnull=False).order_by("-valid_from").first()
    if version is None:
        return ""
    return (
        f"年度累计用电 annual kWh: {after:,.0f}（第一档 tier 1 ≤ {version.tier1_max_kwh:,.0f}；"
        f"第二档 tier 2 ≤ {version.tier2_max_kwh:,.0f}；以上第三档 tier 3）"
    )


def _amount_row(bill: Bill) -> list[str]:
    """The bill's bottom line by its state: what is still to pay and by when, or that it is paid."""
    due = bill.due_date.strftime("%Y-%m-%d") if bill.due_date else "—"
    if bill.status == Bill.Status.VOID:
        return ["已作废 Void", f"¥ {bill.amount:,.2f}", "无需缴费", "nothing to pay"]
    if bill.status in (Bill.Status.HELD, Bill.Status.DRAFT):
        return ["审核中 Under review", f"¥ {bill.amount:,.2f}", "暂不需缴费", "nothing to pay yet"]
    left = outstanding(bill=bill)
    if left <= 0:
        return ["已缴清 Paid in full", f"¥ {bill.amount:,.2f}", "缴费截止 Due date", due]
    if left < bill.amount:
        return [f"应缴金额 Amount due (已缴 ¥ {bill.amount - left:,.2f})", f"¥ {left:,.2f}", "缴费截止 Due date", due]
    return ["应缴金额 Amount due", f"¥ {left:,.2f}", "缴费截止 Due date", due]


def render_bill_pdf(*, bill: Bill) -> bytes:
    account = bill.account
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Bill {account.number} {bill.period_start:%Y-%m}",
        author="Marketing Portal",
        **cjk_document_options(),
    )
    last_day = bill.period_end - dt.timedelta(days=1)
    story = [
        Paragraph("电费通知单 Electricity bill", TITLE),
        Spacer(1, 4 * mm),
        _table(
            [
                [
                    "户号 Account",
                    account.number,
                    "账期 Period",
                    f"{bill.period_start:%Y-%m-%d} – {last_day:%Y-%m-%d}",
                ],
                ["户名 Holder", account.customer.name, "用电类别 Category", account.get_category_display()],
                [
                    "用电地址 Address",
                    account.masked_premise_address,
                    "电价 Tariff",
                    f"{bill.tariff.code} {bill.tariff.name}",
                ],
                ["状态 Status", STATUS_LABELS.get(bill.status, bill.status), "版本 Revision", str(bill.revision)],
            ],
            [28 * mm, 52 * mm, 28 * mm, 66 * mm],
            header=False,
            right_from=99,
        ),
        Spacer(1, 5 * mm),
        Paragraph("抄见示数 Meter reads", TEXT),
    ]
    reads = [["表号 Meter", "示数 Register", "起 Start", "止 End", "倍率 ×", "电量 kWh"]]
    for r in sorted(
        bill.reads.select_related("meter"), key=lambda r: (r.meter.installed_at, REGISTER_ORDER.get(r.register, 99))
    ):
        reads.append(
            [
                r.meter.meter_no,
                REGISTER_LABELS.get(r.register, r.register),
                f"{r.start_value:,.2f}",
                f"{r.end_value:,.2f}",
                f"{r.multiplier:g}",
                f"{r.kwh:,.2f}",
            ]
        )
    if len(reads) == 1:
        reads.append(["—", "按分时负荷曲线计量 from interval data", "", "", "", f"{bill.total_kwh:,.2f}"])
    story += [_table(reads, [30 * mm, 48 * mm, 26 * mm, 26 * mm, 16 * mm, 28 * mm], right_from=2), Spacer(1, 5 * mm)]
    story.append(Paragraph("电费明细 Charges", TEXT))
    charges = [["项目 Item", "数量 Quantity", "单位 Unit", "单价 Rate", "金额 Amount (CNY)"]]
    for line in bill.lines.order_by("position"):
        rate = f"{line.rate * 100:.2f} %" if line.code == "power_factor" else f"{line.rate:.5f}"
        charges.append(
            [Paragraph(line.description, TEXT), f"{line.quantity:,.2f}", line.unit, rate, f"{line.amount:,.2f}"]
        )
    charges.append(["合计 Total", f"{bill.total_kwh:,.2f}", "kWh", "", f"{bill.amount:,.2f}"])
    table = _table(charges, [70 * mm, 28 * mm, 20 * mm, 24 * mm, 32 * mm])
    table.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), FONT, 9.5), ("LINEABOVE", (0, -1), (-1, -1), 0.8, BRAND)]))
    story += [table, Spacer(1, 4 * mm)]
    if progress := _tier_progress(bill):
        story += [Paragraph(progress, TEXT), Spacer(1, 3 * mm)]
    if bill.split_method:
        story += [
            Paragraph(
                f"电价在账期内调整，电量按{'分时曲线' if bill.split_method == 'interval data' else '天数'}拆分 (tariff changed in the period; split by {bill.split_method}).",
                SMALL,
            )
        ]
    story += [
        Spacer(1, 4 * mm),
        _table([_amount_row(bill)], [62 * mm, 38 * mm, 30 * mm, 44 * mm], header=False, right_from=99),
        Spacer(1, 6 * mm),
        Paragraph(
            "逾期未缴将按日加收电费违约金。Late payment accrues a daily late fee. 24 小时供电服务热线 95598。", SMALL
        ),
    ]
    document.build(story)
    return buffer.getvalue()


def pdf_filename(*, bill: Bill) -> str:
    return f"bill-{bill.account.number}-{bill.period_start:%Y-%m}-r{bill.revision}.pdf"
