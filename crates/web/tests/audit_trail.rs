//! A broken audit trail through the real router and a real SQLite store: every request that
//! would show or change a client's data answers 503 with a page that says the audit trail
//! needs attention (in the user's language), shows no client data and changes nothing, and the
//! operator gets one error line per request naming the row, without personal data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestApp;
use domain::cases::CasesStore;
use domain::policy::{CaseloadScope, OfficeScope};
use http::StatusCode;
use std::sync::{Arc, Mutex};
use testkit::db::{Db, Table};
use testkit::world::users;
use tracing_subscriber::util::SubscriberInitExt;

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Clients in office A, any counselor's view (for "nothing was stored").
async fn clients_in_office_a(app: &TestApp) -> usize {
    let scope = CaseloadScope {
        counselor_id: app.world.admin_id,
        offices: vec![OfficeScope {
            office_id: app.world.office_a,
            include_protected: true,
        }],
    };
    app.store.list_clients(&scope, false).await.unwrap().len()
}

#[tokio::test]
async fn audited_requests_on_a_trail_with_a_row_after_the_head_get_the_audit_trail_page() {
    let app = TestApp::new().await;
    // Fixture: a row after the head, as only someone with full database access can leave it
    // since migration 0014 (`testkit::tamper` removes the head-moving trigger for that one
    // insert and restores it; crates/testkit/tests/audit_tampering.rs shows plain SQL refused).
    let forged = testkit::tamper::sqlite_row_after_head(app.store.pool()).await;
    let head = app.audit_count().await;
    assert_eq!(forged, head + 1);
    let db = Db::Sqlite(app.store.pool().clone());
    let users_before = db.count(Table::Users).await;
    let clients_before = clients_in_office_a(&app).await;

    let log = Log::default();
    let writer = log.clone();
    let _guard = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish()
        .set_default();

    let mut counselor = app.login(users::ASSIGNED_COUNSELOR).await;
    let case = format!("/clients/{}", app.world.owner_client);
    let mut audited_requests = 0;
    for (lang, title, text) in [
        (
            None,
            "Tilgangsloggen må sjekkes",
            "Vendepunkt kan ikke skrive ned hvem som ser saker",
        ),
        (
            Some("nn"),
            "Tilgangsloggen må sjekkast",
            "Vendepunkt kan ikkje skrive ned kven som ser saker",
        ),
        (
            Some("en"),
            "The audit trail needs attention",
            "Vendepunkt cannot record who looks at cases",
        ),
    ] {
        counselor.accept_language = lang.map(str::to_string);
        let r = app.get(&mut counselor, &case).await;
        audited_requests += 1;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{lang:?}: {}",
            r.body
        );
        assert!(r.body.contains(title), "{lang:?}: {}", r.body);
        assert!(r.body.contains(text), "{lang:?}: {}", r.body);
        assert!(!r.body.contains("Olga Owner"), "no client data: {}", r.body);
        assert_eq!(r.headers["cache-control"], "no-store");
    }

    // A list of names is personal data too.
    counselor.accept_language = Some("en".into());
    let r = app.get(&mut counselor, "/caseload").await;
    audited_requests += 1;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("The audit trail needs attention"));
    for name in ["Olga Owner", "Otto Otherclient", "Paula Protected"] {
        assert!(!r.body.contains(name), "{name} shown: {}", r.body);
    }

    // A change that needs an audit row stores nothing at all.
    let office_a = app.world.office_a.to_string();
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[
                ("name", "Kari Nordmann"),
                ("office", &office_a),
                ("username", "kari-nordmann"),
                ("password", "river stone lantern 48"),
            ],
        )
        .await;
    audited_requests += 1;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("The audit trail needs attention"));
    assert!(!r.body.contains("Kari Nordmann"));
    assert_eq!(db.count(Table::Users).await, users_before);
    assert_eq!(clients_in_office_a(&app).await, clients_before);
    assert_eq!(app.audit_count().await, head, "nothing appended");

    // The operator: one error line per refused request, naming the row, with no personal data.
    let lines = log.lines();
    let errors: Vec<_> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), audited_requests, "{lines:#?}");
    for line in &errors {
        assert!(
            line.contains("audit trail needs attention") && line.contains(&format!("row {forged}")),
            "{line}"
        );
    }
    let client = app.world.owner_client.to_string();
    for line in &lines {
        for secret in [
            "Olga",
            "Otto",
            "Paula",
            "Kari",
            "kari-nordmann",
            client.as_str(),
        ] {
            assert!(!line.contains(secret), "{secret} in the log: {line}");
        }
    }
}
