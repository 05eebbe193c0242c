"""The demand-response settlement statement as a PDF (需求响应结算单), bilingual, with the baseline vs
actual chart, the days the baseline used and skipped, the figures and the money.

Every glyph is in core.pdf's CJK TrueType face, subset-embedded (as on the bill), so the statement
reads the same on a machine without Chinese fonts."""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import cjk_document_options, cjk_font
from core.time import SHANGHAI
from services.actions.demand_response.statements import Statement

BRAND = colors.HexColor("#0b5d4b")
BASELINE_COLOR = colors.HexColor("#9db8cc")
ACTUAL_COLOR = colors.HexColor("#0d7a66")


def _font_name() -> str:
    return cjk_font()


def _styles() -> dict[str, ParagraphStyle]:
    font = _font_name()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=20, textColor=BRAND),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, textColor=BRAND, spaceBefore=6),
        "text": ParagraphStyle("text", fontName=font, fontSize=9, leading=12),
        "small": ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
    }


def _table(rows: list[list], widths: list[float], *, header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), _font_name(), 8.5),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.HexColor("#cccccc")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f3ef")), ("TEXTCOLOR", (0, 0), (-1, 0), BRAND)]
    table.setStyle(TableStyle(style))
    return table


def _chart(sheet: Statement) -> Drawing:
    width, height = 170 * mm, 62 * mm
    drawing = Drawing(width, height, initialFontName=_font_name())  # no unembedded Helvetica state
    points = [
        [(k, float(r.baseline_kw)) for k, r in enumerate(sheet.rows) if r.baseline_kw is not None],
        [(k, float(r.actual_kw)) for k, r in enumerate(sheet.rows) if r.actual_kw is not None],
    ]
    if not any(points):
        return drawing
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 14 * mm, 12 * mm, width - 20 * mm, height - 22 * mm
    plot.data = [p or [(0, 0)] for p in points]
    plot.lines[0].strokeColor, plot.lines[0].strokeWidth = BASELINE_COLOR, 2
    plot.lines[1].strokeColor, plot.lines[1].strokeWidth = ACTUAL_COLOR, 2
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, max(len(sheet.rows) - 1, 1)
    step = max(len(sheet.rows) // 8, 1)
    plot.xValueAxis.valueSteps = list(range(0, len(sheet.rows), step))
    labels = [f"{r.start:%H:%M}" for r in sheet.rows]
    plot.xValueAxis.labelTextFormat = lambda v: labels[int(v)] if 0 <= int(v) < len(labels) else ""
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = _font_name()
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(2, height - 8, "kW", fontName=_font_name(), fontSize=7))
    legend = Legend()
    legend.x, legend.y = width - 70 * mm, height - 4
    legend.fontName, legend.fontSize = _font_name(), 7.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(BASELINE_COLOR, "基线 baseline"), (ACTUAL_COLOR, "实际 actual")]
    drawing.add(legend)
    return drawing


def _money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def render_statement_pdf(*, sheet: Statement) -> bytes:
    styles = _styles()
    settlement, event, program, account = sheet.settlement, sheet.event, sheet.program, sheet.account
    start, end = event.start.astimezone(SHANGHAI), event.end.astimezone(SHANGHAI)
    terms = settlement.terms
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        **cjk_document_options(),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"DR statement {account.number} {start:%Y-%m-%d}",
        author="Marketing Portal",
    )
    ratio = "—" if settlement.ratio is None else f"{settlement.ratio * 100:.2f}%"
    prices = []
    if terms.energy_price is not None:
        prices.append(f"{terms.energy_price.normalize():f} 元/kWh")
    if terms.capacity_price is not None:
        prices.append(f"{terms.capacity_price.normalize():f} 元/kW·次")
    caps = [
        f"{label} {value:,.2f}"
        for label, value in (
            ("每次 per event", terms.cap_per_event),
            ("每月 per month", terms.cap_per_month),
            ("每季 per season", terms.cap_per_season),
        )
        if value is not None
    ]
    story = [
        Paragraph("需求响应结算单 Demand-response settlement statement", styles["title"]),
        Spacer(1, 3 * mm),
        _table(
            [
                ["户号 Account", account.number],
                ["项目 Program", program.name],
                ["事件 Event", event.name],
                ["时段 Window", f"{start:%Y-%m-%d %H:%M} – {end:%H:%M}（{sheet.window_hours.normalize():f} h）"],
                ["基线方法 Baseline", program.get_baseline_method_display()],
                ["条款版本 Terms version", f"v{terms.version}"],
                ["核定版本 Revision", str(settlement.revision)],
            ],
            [45 * mm, 125 * mm],
            header=False,
        ),
        Spacer(1, 3 * mm),
        Paragraph("基线与实际负荷 Baseline vs actual (kW per 15 min)", styles["h2"]),
        _chart(sheet),
        Paragraph("结算 Settlement", styles["h2"]),
        _table(
            [
                ["项目 Item", "数值 Value"],
                ["基线电量 Baseline kWh", f"{settlement.baseline_kwh:f}"],
                ["实际电量 Actual kWh", f"{settlement.actual_kwh:f}"],
                ["有效响应电量 Verified kWh", f"{settlement.verified_kwh:f}"],
                ["有效响应平均负荷 Verified average kW", f"{settlement.verified_kw:f}"],
                ["约定响应 Committed kW", f"{sheet.committed_kw:f}"],
                ["响应比例 Ratio", ratio],
                ["补贴价格 Price", "；".join(prices) or "—"],
                ["有效响应门槛 Threshold", f"{terms.threshold_ratio * 100:.0f}%"],
                ["补贴上限 Caps", "；".join(caps) or "无 none"],
                ["计算补贴 Gross", _money(sheet.gross)],
                ["封顶 Capped by", sheet.capped_by or "—"],
                ["补贴 Incentive", _money(settlement.incentive)],
                ["考核 Penalty", _money(settlement.penalty)],
                ["合计 Net", _money(settlement.net)],
            ],
            [90 * mm, 80 * mm],
        ),
    ]
    story += [Paragraph("基线所用日期 Days the baseline used", styles["h2"])]
    story.append(Paragraph("、".join(f"{d:%Y-%m-%d}" for d in sheet.days_used) or "—", styles["text"]))
    if sheet.days_skipped:
        story.append(Paragraph("未采用的日期 Days skipped", styles["h2"]))
        story.append(
            _table(
                [["日期 Day", "原因 Reason"], *([f"{s.day:%Y-%m-%d}", s.text[:90]] for s in sheet.days_skipped[:30])],
                [30 * mm, 140 * mm],
            )
        )
    story.append(Paragraph("记账 Ledger", styles["h2"]))
    ledger_rows = [["日期 Date", "摘要 Description", "金额 Amount"]]
    ledger_rows += [[f"{e.occurred_on:%Y-%m-%d}", e.description[:60], _money(-e.amount)] for e in sheet.entries]
    story.append(_table(ledger_rows, [25 * mm, 110 * mm, 35 * mm]))
    if sheet.bill is not None:
        story.append(
            Paragraph(
                f"计入账单 On the bill for {sheet.bill.period_start:%Y-%m}（{sheet.bill.issued_at:%Y-%m-%d}）",
                styles["text"],
            )
        )
    else:
        story.append(Paragraph("将在下一期电费账单中体现 It will show on your next bill.", styles["text"]))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            "有效响应 = 基线 − 实际（削峰），逐个 15 分钟计算，负值计为 0；金额按条款四舍五入到分。"
            " Verified response = baseline − actual per 15 minutes, never negative; money rounded half-up to 0.01.",
            styles["small"],
        ),
    ]
    document.build(story)
    return buffer.getvalue()


def statement_filename(*, sheet: Statement) -> str:
    return f"dr-statement-{sheet.account.number}-{sheet.event.start.astimezone(SHANGHAI):%Y%m%d}-{sheet.event.pk}.pdf"
