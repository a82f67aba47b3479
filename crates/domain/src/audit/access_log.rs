//! The client's "who looked at my case" log (issue 11): paged, and with list views apart.
//!
//! A counselor's caseload names every client on it (one `client-list` row listing them since
//! migration 0017; one `client-list-entry` row per client shown before), so a counselor
//! reloading it could otherwise push a colleague's opening or print out of the client's view.
//! The log is therefore two lists, each paged on its own by keyset (the audit row's `seq`,
//! handed to the page as an opaque cursor number): every opening, print and change one by
//! one, and the list views grouped by the store into one line per person per day (UTC, like
//! the times shown), with how many times.

use super::{AccessLogEntry, AuditStore};
use crate::DomainError;
use crate::cases::CasesStore;
use crate::context::Ctx;
use crate::policy::{Action, Resource, authorize};
use crate::roles::{Actor, Role};
use time::{Date, OffsetDateTime};

/// Lines per page of each list.
pub const PAGE_SIZE: i64 = 50;

/// Where a page of a list starts: the newest lines, or the lines older (`Before`) or newer
/// (`After`) than a cursor taken from a line of another page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cursor {
    #[default]
    Newest,
    Before(i64),
    After(i64),
}

impl Cursor {
    /// The cursor named by a page's query (`before`, `after`): a non-negative number, or else
    /// the newest page (a cursor is only ever a link the page made itself).
    pub fn parse(before: Option<&str>, after: Option<&str>) -> Cursor {
        let number = |s: Option<&str>| {
            s.and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
        };
        match (number(before), number(after)) {
            (Some(b), _) => Cursor::Before(b),
            (None, Some(a)) => Cursor::After(a),
            (None, None) => Cursor::Newest,
        }
    }
}

/// One page of a list, newest first, with the cursors for the links to the neighbouring
/// pages (`None` when there is nothing newer or older).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage<T> {
    pub rows: Vec<T>,
    /// For a link `After(newer)`: there are lines newer than this page.
    pub newer: Option<i64>,
    /// For a link `Before(older)`: there are lines older than this page.
    pub older: Option<i64>,
}

impl<T> LogPage<T> {
    /// A page from rows fetched in the cursor's direction, at most `limit + 1` of them (the
    /// extra one only tells that there is more), with `key` the row's cursor number and
    /// `beyond` whether there are rows on the other side of the cursor. Stores use this so
    /// the paging rule is written once.
    pub fn from_fetched(
        cursor: Cursor,
        mut fetched: Vec<T>,
        limit: i64,
        key: impl Fn(&T) -> i64,
        beyond: bool,
    ) -> Self {
        let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        if matches!(cursor, Cursor::After(_)) {
            // Fetched oldest first (the lines just newer than the cursor): newest first here.
            fetched.reverse();
        }
        let first = fetched.first().map(&key);
        let last = fetched.last().map(&key);
        let (newer, older) = match cursor {
            Cursor::Newest => (None, last.filter(|_| more)),
            Cursor::Before(_) => (first.filter(|_| beyond), last.filter(|_| more)),
            Cursor::After(_) => (first.filter(|_| more), last.filter(|_| beyond)),
        };
        LogPage {
            rows: fetched,
            newer,
            older,
        }
    }
}

/// The list views of one person on one day (UTC): "Vera Veileder saw your name in a list,
/// 14 times".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListViews {
    /// The cursor number of the line (the `seq` of its newest row).
    pub last_seq: i64,
    /// The day (UTC) and the time of the newest view that day.
    pub day: Date,
    pub last_at: OffsetDateTime,
    pub actor_name: String,
    pub actor_role: Role,
    /// The actor's office(s), comma-separated; may be empty.
    pub actor_offices: String,
    pub times: i64,
}

/// The log's two lists, one page of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    /// Openings, prints and changes by staff, one line each (no list views).
    pub openings: LogPage<AccessLogEntry>,
    /// List views by staff, one line per person per day.
    pub list_views: LogPage<ListViews>,
}

/// Who looked at the client's case: for the client only, one page of each list.
pub async fn access_log<S: CasesStore + AuditStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    openings: Cursor,
    list_views: Cursor,
) -> Result<AccessLog, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    authorize(actor, Action::ViewAccessLog, Resource::Client(&scope))?;
    Ok(AccessLog {
        openings: ctx
            .store
            .access_log_page(client, openings, PAGE_SIZE)
            .await?,
        list_views: ctx
            .store
            .list_views_page(client, list_views, PAGE_SIZE)
            .await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cursor: Cursor, fetched: &[i64], beyond: bool) -> (Vec<i64>, Option<i64>, Option<i64>) {
        let p = LogPage::from_fetched(cursor, fetched.to_vec(), 3, |k| *k, beyond);
        (p.rows, p.newer, p.older)
    }

    #[test]
    fn pages_link_to_their_neighbours_only_when_there_is_more() {
        // Newest first: 9 8 7 (and 6 beyond the page).
        assert_eq!(
            page(Cursor::Newest, &[9, 8, 7, 6], false),
            (vec![9, 8, 7], None, Some(7))
        );
        assert_eq!(
            page(Cursor::Newest, &[9, 8], false),
            (vec![9, 8], None, None)
        );
        assert_eq!(
            page(Cursor::Before(7), &[6, 5, 4, 3], true),
            (vec![6, 5, 4], Some(6), Some(4))
        );
        assert_eq!(
            page(Cursor::Before(4), &[3], true),
            (vec![3], Some(3), None)
        );
        // Newer than 3, fetched oldest first: 4 5 6 (and 7 beyond).
        assert_eq!(
            page(Cursor::After(3), &[4, 5, 6, 7], true),
            (vec![6, 5, 4], Some(6), Some(4))
        );
        assert_eq!(
            page(Cursor::After(6), &[7, 8, 9], true),
            (vec![9, 8, 7], None, Some(7))
        );
        assert_eq!(page(Cursor::Before(1), &[], true), (vec![], None, None));
    }

    #[test]
    fn a_cursor_is_a_non_negative_number_or_the_newest_page() {
        assert_eq!(Cursor::parse(Some("12"), None), Cursor::Before(12));
        assert_eq!(Cursor::parse(None, Some("0")), Cursor::After(0));
        for bad in ["", "x", "-1", "1e3", "99999999999999999999"] {
            assert_eq!(Cursor::parse(Some(bad), None), Cursor::Newest, "{bad}");
            assert_eq!(Cursor::parse(None, Some(bad)), Cursor::Newest, "{bad}");
        }
    }
}
