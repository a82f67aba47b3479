//! The client's "who looked at my case" page (`/me/access-log`, issue 11): openings, prints
//! and changes one by one, and list views one line per person per day, each list paged on
//! its own with "newer" and "older" links that carry an opaque cursor number (no JavaScript).

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Query, SignedIn};
use crate::edge::handler::{ctx_of, utc_text};
use crate::edge::render::{OrPage, PageResult, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use domain::audit::access_log::{Cursor, LogPage};

pub struct AccessRow {
    pub when: String,
    pub who: String,
    pub role: String,
    pub office: String,
    pub what: String,
}

pub struct ListRow {
    pub day: String,
    pub who: String,
    pub role: String,
    pub office: String,
    pub times: String,
}

/// Links to the neighbouring pages of one list (`None`: nothing there).
#[derive(Default)]
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
    /// On an empty page reached by a cursor: back to the newest lines.
    pub newest: Option<String>,
}

impl Pager {
    pub fn is_empty(&self) -> bool {
        self.newer.is_none() && self.older.is_none() && self.newest.is_none()
    }
}

#[derive(Template)]
#[template(path = "audit/access_log.html")]
pub struct AccessLogPage {
    pub ctx: PageCtx,
    pub rows: Vec<AccessRow>,
    pub lists: Vec<ListRow>,
    pub rows_pager: Pager,
    pub lists_pager: Pager,
}

/// The query parameters of one list's cursor, as `key=value` (empty when newest).
fn param(prefix: &str, cursor: Cursor) -> Option<String> {
    match cursor {
        Cursor::Newest => None,
        Cursor::Before(n) => Some(format!("{prefix}before={n}")),
        Cursor::After(n) => Some(format!("{prefix}after={n}")),
    }
}

fn href(openings: Cursor, lists: Cursor) -> String {
    let query: Vec<String> = [param("", openings), param("lists_", lists)]
        .into_iter()
        .flatten()
        .collect();
    if query.is_empty() {
        "/me/access-log".into()
    } else {
        format!("/me/access-log?{}", query.join("&"))
    }
}

/// The links of one list; the other list keeps its place (`place` builds the link).
fn pager<T>(page: &LogPage<T>, at: Cursor, place: impl Fn(Cursor) -> String) -> Pager {
    Pager {
        newer: page.newer.map(|n| place(Cursor::After(n))),
        older: page.older.map(|n| place(Cursor::Before(n))),
        newest: (page.rows.is_empty() && at != Cursor::Newest).then(|| place(Cursor::Newest)),
    }
}

/// The cursors of the two lists, as the page's links carry them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LogQuery {
    pub before: Option<String>,
    pub after: Option<String>,
    pub lists_before: Option<String>,
    pub lists_after: Option<String>,
}

/// `GET /me/access-log[?before=N|after=N][&lists_before=N|lists_after=N]`. A parameter that
/// is not a cursor shows the newest lines of that list.
pub async fn access_log(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<LogQuery>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let openings = Cursor::parse(q.before.as_deref(), q.after.as_deref());
    let lists = Cursor::parse(q.lists_before.as_deref(), q.lists_after.as_deref());
    let log = domain::audit::access_log::access_log(ctx_of(&state, &ctx), &actor, openings, lists)
        .await
        .or_page(&ctx)?;
    let role = |r: domain::roles::Role| ctx.tr.get(&format!("role-{}", r.as_str()));
    let rows_pager = pager(&log.openings, openings, |c| href(c, lists));
    let lists_pager = pager(&log.list_views, lists, |c| href(openings, c));
    let rows = log
        .openings
        .rows
        .into_iter()
        .map(|e| AccessRow {
            when: utc_text(e.at),
            who: e.actor_name,
            role: role(e.actor_role),
            office: e.actor_offices,
            what: ctx.tr.get(&format!(
                "audit-{}-{}",
                e.action.as_str(),
                e.data_kind.as_str()
            )),
        })
        .collect();
    let lists = log
        .list_views
        .rows
        .into_iter()
        .map(|l| ListRow {
            day: format!(
                "{:04}-{:02}-{:02}",
                l.day.year(),
                u8::from(l.day.month()),
                l.day.day()
            ),
            who: l.actor_name,
            role: role(l.actor_role),
            office: l.actor_offices,
            times: ctx.tr.count("access-log-times", "count", l.times),
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &AccessLogPage {
            ctx,
            rows,
            lists,
            rows_pager,
            lists_pager,
        },
    ))
}
