//! Anonymous feedback figures: the leader's dashboard (`/insights`), its CSV export
//! (`/insights/export.csv`) and the counselor's own aggregate (`/caseload/feedback`).
//!
//! The handlers get figures only from `domain::insights`, after the suppression
//! rule; a hidden figure has no number to show. The leader's use case receives the
//! `InsightsStore` port only. No audit rows: nobody is shown a client's personal data.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::Query;
use crate::edge::render::{domain_error, error_page, render};
use crate::i18n::Lang;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::feedback::suppression::Measure;
use domain::feedback::{Quarter, Theme};
use domain::insights::InsightsStore;
use domain::insights::{
    CsvHeadings, Figure, OfficeInsights, OwnInsights, QuarterFigures, UnitLabel, UnitSeries,
    leader_insights, own_insights, to_csv,
};

/// A number with one decimal, with a decimal comma in Norwegian.
fn decimal(lang: Lang, x: f64) -> String {
    let s = format!("{x:.1}");
    match lang {
        Lang::En => s,
        _ => s.replace('.', ","),
    }
}

fn theme_name(ctx: &PageCtx, t: Theme) -> String {
    ctx.tr.get(&format!("feedback-theme-{}", t.as_str()))
}

fn too_few(ctx: &PageCtx) -> String {
    ctx.tr.get("insights-too-few")
}

fn mean_text(ctx: &PageCtx, f: Figure) -> String {
    match f.mean() {
        Some(m) => decimal(ctx.tr.lang, m),
        None => too_few(ctx),
    }
}

fn clients_text(ctx: &PageCtx, f: Figure) -> String {
    match f.clients() {
        Some(n) => n.to_string(),
        None => too_few(ctx),
    }
}

fn rate_text(ctx: &PageCtx, q: &QuarterFigures) -> String {
    match q.response_rate() {
        Some(r) => format!("{r} %"),
        None => too_few(ctx),
    }
}

/// One bar of a chart (SVG coordinates).
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub label: String,
    pub label_x: u32,
    pub shown: bool,
}

/// A theme over the quarters: a bar chart, a one-sentence summary and the data table.
pub struct ThemeChart {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub bars: Vec<Bar>,
    pub rows: Vec<(String, String, String)>,
}

pub const CHART_HEIGHT: u32 = 100;
const BAR_STEP: u32 = 38;

fn chart(ctx: &PageCtx, series: &UnitSeries, t: Theme, id: String) -> ThemeChart {
    let m = Measure::Theme(t);
    let name = theme_name(ctx, t);
    let bars = series
        .quarters
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mean = q.get(m).mean();
            let height = mean.map(|x| (x * 10.0).round() as u32).unwrap_or(0);
            Bar {
                x: i as u32 * BAR_STEP + 6,
                y: CHART_HEIGHT - height,
                height,
                label: format!("Q{} {}", q.quarter.number(), q.quarter.year() % 100),
                label_x: i as u32 * BAR_STEP + 6 + 13,
                shown: mean.is_some(),
            }
        })
        .collect();
    let summary = match series.trend(m) {
        None => ctx.tr.arg("insights-summary-none", "theme", &name),
        Some(trend) => {
            let args = |change: Option<f64>| {
                let mut a = vec![
                    ("theme", name.clone()),
                    ("mean", decimal(ctx.tr.lang, trend.mean)),
                    ("quarter", trend.quarter.to_string()),
                ];
                if let Some(c) = change {
                    a.push(("change", decimal(ctx.tr.lang, c.abs())));
                }
                a
            };
            match trend.change {
                None => ctx.tr.args("insights-summary-alone", &args(None)),
                Some(c) if c > 0.0 => ctx.tr.args("insights-summary-up", &args(Some(c))),
                Some(c) if c < 0.0 => ctx.tr.args("insights-summary-down", &args(Some(c))),
                Some(_) => ctx.tr.args("insights-summary-same", &args(None)),
            }
        }
    };
    let rows = series
        .quarters
        .iter()
        .map(|q| {
            (
                q.quarter.to_string(),
                mean_text(ctx, q.get(m)),
                clients_text(ctx, q.get(m)),
            )
        })
        .collect();
    ThemeChart {
        id,
        name,
        summary,
        bars,
        rows,
    }
}

/// A row of the teams table: the unit and its figures (asked, answered, rate, six themes).
pub struct UnitRow {
    pub name: String,
    pub cells: Vec<String>,
}

pub struct OfficeView {
    pub name: String,
    pub period: String,
    pub charts: Vec<ThemeChart>,
    pub rates: Vec<(String, String, String, String)>,
    pub rates_summary: String,
    pub quarter: String,
    pub quarter_links: Vec<(String, bool)>,
    pub units: Vec<UnitRow>,
    pub anything: bool,
    pub index: usize,
}

fn unit_name(ctx: &PageCtx, label: &UnitLabel) -> String {
    match label {
        UnitLabel::Office(_) => ctx.tr.get("insights-whole-office"),
        UnitLabel::Team(name) => name.clone(),
        UnitLabel::NoTeam => ctx.tr.get("insights-no-team"),
        UnitLabel::Mine => ctx.tr.get("insights-col-mine"),
    }
}

fn office_view(
    ctx: &PageCtx,
    o: &OfficeInsights,
    index: usize,
    chosen: Option<Quarter>,
) -> OfficeView {
    let charts = Theme::ALL
        .iter()
        .map(|t| chart(ctx, &o.office, *t, format!("chart-{index}-{}", t.as_str())))
        .collect();
    let rates = o
        .office
        .quarters
        .iter()
        .rev()
        .map(|q| {
            (
                q.quarter.to_string(),
                clients_text(ctx, q.get(Measure::Reached)),
                clients_text(ctx, q.get(Measure::Answered)),
                rate_text(ctx, q),
            )
        })
        .collect();
    let rates_summary = o
        .office
        .quarters
        .iter()
        .rev()
        .find_map(|q| q.response_rate().map(|r| (q.quarter, r)))
        .map(|(q, r)| {
            ctx.tr.args(
                "insights-rates-summary",
                &[("quarter", q.to_string()), ("rate", r.to_string())],
            )
        })
        .unwrap_or_else(|| ctx.tr.get("insights-rates-summary-none"));
    let latest = o.quarters.last().copied();
    let quarter = chosen.filter(|q| o.quarters.contains(q)).or(latest);
    let qi = quarter.and_then(|q| o.quarters.iter().position(|x| *x == q));
    let units = match qi {
        None => vec![],
        Some(qi) => std::iter::once(&o.office)
            .chain(o.teams.iter())
            .map(|s| {
                let q = &s.quarters[qi];
                let mut cells = vec![
                    clients_text(ctx, q.get(Measure::Reached)),
                    clients_text(ctx, q.get(Measure::Answered)),
                    rate_text(ctx, q),
                ];
                cells.extend(
                    Theme::ALL
                        .iter()
                        .map(|t| mean_text(ctx, q.get(Measure::Theme(*t)))),
                );
                UnitRow {
                    name: unit_name(ctx, &s.unit),
                    cells,
                }
            })
            .collect(),
    };
    let anything = std::iter::once(&o.office)
        .chain(o.teams.iter())
        .flat_map(|s| s.quarters.iter())
        .any(|q| Measure::ALL.iter().any(|m| q.get(*m).clients().is_some()));
    OfficeView {
        name: o.office_name.clone(),
        period: match (o.quarters.first(), o.quarters.last()) {
            (Some(first), Some(last)) => ctx.tr.args(
                "insights-period",
                &[("first", first.to_string()), ("last", last.to_string())],
            ),
            _ => String::new(),
        },
        charts,
        rates,
        rates_summary,
        quarter: quarter.map(|q| q.to_string()).unwrap_or_default(),
        quarter_links: o
            .quarters
            .iter()
            .rev()
            .map(|q| (q.to_string(), Some(*q) == quarter))
            .collect(),
        units,
        anything,
        index,
    }
}

#[derive(Template)]
#[template(path = "insights/insights.html")]
pub struct InsightsPage {
    pub ctx: PageCtx,
    pub offices: Vec<OfficeView>,
    pub theme_names: Vec<String>,
    pub chart_height: u32,
}

#[derive(serde::Deserialize)]
pub struct QuarterParam {
    #[serde(default)]
    quarter: Option<String>,
}

fn aggregates(state: &AppState) -> &dyn InsightsStore {
    // The leader's handle: aggregate queries only.
    state.store.as_ref()
}

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(param): Query<QuarterParam>,
) -> Response {
    let Some(actor) = ctx.actor.clone() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match leader_insights(aggregates(&state), state.clock.as_ref(), &actor).await {
        Ok(list) => {
            // Only a published, fixed quarter can be chosen; anything else shows the latest.
            let chosen = param.quarter.as_deref().and_then(Quarter::parse);
            let offices = list
                .iter()
                .enumerate()
                .map(|(i, o)| office_view(&ctx, o, i, chosen))
                .collect();
            let theme_names = Theme::ALL.iter().map(|t| theme_name(&ctx, *t)).collect();
            render(
                StatusCode::OK,
                &InsightsPage {
                    ctx,
                    offices,
                    theme_names,
                    chart_height: CHART_HEIGHT,
                },
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
}

pub async fn export_csv(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let Some(actor) = ctx.actor.clone() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match leader_insights(aggregates(&state), state.clock.as_ref(), &actor).await {
        Ok(list) => {
            let t = |k: &str| ctx.tr.get(k);
            let (office, unit, quarter, measure, clients, mean, rate, few, whole, none) = (
                t("insights-csv-office"),
                t("insights-csv-unit"),
                t("insights-col-quarter"),
                t("insights-csv-measure"),
                t("insights-col-clients"),
                t("insights-col-mean"),
                t("insights-col-rate"),
                t("insights-too-few"),
                t("insights-whole-office"),
                t("insights-no-team"),
            );
            let body = to_csv(
                &list,
                &CsvHeadings {
                    office: &office,
                    unit: &unit,
                    quarter: &quarter,
                    measure: &measure,
                    clients: &clients,
                    mean: &mean,
                    response_rate: &rate,
                    too_few: &few,
                    whole_office: &whole,
                    no_team: &none,
                },
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"vendepunkt-insight.csv\"",
                    ),
                    (header::CACHE_CONTROL, "no-store"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                // A byte order mark, so spreadsheets read the file as UTF-8 (æ, ø, å).
                format!("\u{feff}{body}"),
            )
                .into_response()
        }
        Err(e) => domain_error(ctx, &e),
    }
}

/// One theme on the counselor's page: the quarters with their own figure and the office's.
pub struct OwnTheme {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub rows: Vec<(String, String, String)>,
}

pub struct OwnView {
    pub name: String,
    pub period: String,
    pub themes: Vec<OwnTheme>,
    pub answered: Vec<(String, String, String)>,
}

fn own_view(ctx: &PageCtx, o: &OwnInsights, index: usize) -> OwnView {
    let fig = |f: Figure, m: Measure| match m {
        Measure::Theme(_) => match (f.mean(), f.clients()) {
            (Some(mean), Some(n)) => ctx.tr.args(
                "insights-own-figure",
                &[
                    ("mean", decimal(ctx.tr.lang, mean)),
                    ("count", n.to_string()),
                ],
            ),
            _ => too_few(ctx),
        },
        _ => clients_text(ctx, f),
    };
    let themes = Theme::ALL
        .iter()
        .map(|t| {
            let m = Measure::Theme(*t);
            let name = theme_name(ctx, *t);
            let rows: Vec<(String, String, String)> = o
                .quarters
                .iter()
                .enumerate()
                .rev()
                .map(|(i, q)| {
                    (
                        q.to_string(),
                        fig(o.mine.quarters[i].get(m), m),
                        fig(o.office.quarters[i].get(m), m),
                    )
                })
                .collect();
            let latest = o.quarters.len().checked_sub(1);
            let summary = match latest {
                Some(i) => ctx.tr.args(
                    "insights-own-summary",
                    &[
                        ("theme", name.clone()),
                        ("quarter", o.quarters[i].to_string()),
                        ("mine", mean_text(ctx, o.mine.quarters[i].get(m))),
                        ("office", mean_text(ctx, o.office.quarters[i].get(m))),
                    ],
                ),
                None => String::new(),
            };
            OwnTheme {
                id: format!("own-{index}-{}", t.as_str()),
                name,
                summary,
                rows,
            }
        })
        .collect();
    let answered = o
        .quarters
        .iter()
        .enumerate()
        .rev()
        .map(|(i, q)| {
            (
                q.to_string(),
                clients_text(ctx, o.mine.quarters[i].get(Measure::Answered)),
                clients_text(ctx, o.office.quarters[i].get(Measure::Answered)),
            )
        })
        .collect();
    OwnView {
        name: o.office_name.clone(),
        period: match (o.quarters.first(), o.quarters.last()) {
            (Some(first), Some(last)) => ctx.tr.args(
                "insights-period",
                &[("first", first.to_string()), ("last", last.to_string())],
            ),
            _ => String::new(),
        },
        themes,
        answered,
    }
}

#[derive(Template)]
#[template(path = "insights/insights_own.html")]
pub struct OwnPage {
    pub ctx: PageCtx,
    pub offices: Vec<OwnView>,
}

pub async fn own(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let Some(actor) = ctx.actor.clone() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match own_insights(aggregates(&state), state.clock.as_ref(), &actor).await {
        Ok(list) => {
            let offices = list
                .iter()
                .enumerate()
                .map(|(i, o)| own_view(&ctx, o, i))
                .collect();
            render(StatusCode::OK, &OwnPage { ctx, offices })
        }
        Err(e) => domain_error(ctx, &e),
    }
}
