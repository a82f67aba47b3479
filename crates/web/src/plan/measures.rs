//! The catalogue of measures: as the client or counselor sees it, and the administrators'
//! catalogue of each office.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, Query, SignedIn};
use crate::edge::handler::{ctx_of, home_for};
use crate::edge::render::{OrPage, PageError, PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::ids::{ClientId, MeasureId, OfficeId};
use domain::plan::cases::{self};
use domain::plan::input::MeasureInput;
use domain::roles::Actor;
use serde::Deserialize;

pub struct MeasureCard {
    pub id: String,
    pub m: MeasureData,
    pub availability: String,
}

pub fn availability(ctx: &PageCtx, m: &MeasureData) -> String {
    if m.no_places {
        ctx.tr.get("measure-no-places")
    } else {
        match m.waiting_weeks {
            Some(0) | None => ctx.tr.get("measure-no-wait"),
            Some(w) => ctx.tr.arg("measure-waiting-weeks", "weeks", w),
        }
    }
}

#[derive(Template)]
#[template(path = "plan/catalogue.html")]
pub struct CataloguePage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub measures: Vec<MeasureCard>,
}

pub async fn catalogue(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
) -> PageResult {
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) => v,
        Err(e) => return Ok(reason_or_error(ctx, client, None, e)),
    };
    let measures = v
        .measures
        .iter()
        .filter(|m| !m.data.withdrawn)
        .map(|m| MeasureCard {
            id: m.id.to_string(),
            availability: availability(&ctx, &m.data),
            m: m.data.clone(),
        })
        .collect();
    let page = CataloguePage {
        cid: client.to_string(),
        home: home_for(&actor, client),
        measures,
        ctx,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "plan/measure.html")]
pub struct MeasurePage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub card: MeasureCard,
    pub is_client: bool,
    /// From the plan's rules: mark interest / suggest it, and ask about it.
    pub actions: rules::MeasureActions,
    pub questions: Vec<QuestionCard>,
    pub question: String,
    pub errors: Errors,
}

pub async fn measure_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    measure: MeasureId,
    question: String,
    errors: Errors,
) -> Response {
    let part = domain::plan::store::PlanPart::Measure(measure);
    let v = match cases::view_plan_part(ctx_of(state, &ctx), actor, client, None, part).await {
        Ok(v) => v,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let Some(m) = v.measure(measure) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MeasurePage {
        cid: client.to_string(),
        home: home_for(actor, client),
        card: MeasureCard {
            id: m.id.to_string(),
            availability: availability(&ctx, &m.data),
            m: m.data.clone(),
        },
        is_client: v.side == Some(Side::Client),
        actions: rules::measure_actions(v.side),
        questions: v
            .questions
            .iter()
            .filter(|q| q.data.measure_id == measure)
            .map(|q| question_card(&v, q))
            .collect(),
        question,
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn measure_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, measure)): Path<(ClientId, MeasureId)>,
) -> PageResult {
    Ok(measure_view(
        &state,
        ctx,
        &actor,
        client,
        measure,
        String::new(),
        Errors::default(),
    )
    .await)
}

// ----- administrators: the catalogue of each office -----
#[derive(Template)]
#[template(path = "plan/admin_measures.html")]
pub struct AdminMeasuresPage {
    pub ctx: PageCtx,
    pub offices: Vec<(String, String)>,
    pub office: String,
    pub measures: Vec<MeasureCard>,
    pub form: MeasureInput,
    /// (field name, value) of the one-line and the multi-line fields of the form.
    pub lines: Vec<(&'static str, String)>,
    pub texts: Vec<(&'static str, String)>,
    pub editing: Option<(String, i64)>,
    pub errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OfficeQuery {
    office: String,
    edit: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn admin_measures_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    office: Option<OfficeId>,
    edit: Option<MeasureId>,
    form: Option<MeasureInput>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let offices = domain::organisation::list_offices(state.store.as_ref(), actor)
        .await
        .or_page(&ctx)?;
    let Some(office) = office.or_else(|| offices.first().map(|o| o.id)) else {
        return Err(PageError::not_found(&ctx));
    };
    let c = ctx_of(state, &ctx);
    let measures = cases::catalogue_for_admin(c, actor, office)
        .await
        .or_page(&ctx)?;
    let editing = edit.and_then(|id| measures.iter().find(|m| m.id == id));
    let form = form.unwrap_or_else(|| {
        editing
            .map(|m| MeasureInput::from_data(&m.data))
            .unwrap_or_default()
    });
    let page = AdminMeasuresPage {
        lines: vec![
            ("name", form.name.clone()),
            ("provider", form.provider.clone()),
            ("duration", form.duration.clone()),
            ("location", form.location.clone()),
            ("capacity", form.capacity.clone()),
            ("waiting_weeks", form.waiting_weeks.clone()),
        ],
        texts: vec![
            ("description", form.description.clone()),
            ("eligibility", form.eligibility.clone()),
            ("saying_no", form.saying_no.clone()),
        ],
        offices: offices
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect(),
        office: office.to_string(),
        form,
        editing: editing.map(|m| (m.id.to_string(), m.version)),
        measures: measures
            .iter()
            .map(|m| MeasureCard {
                id: m.id.to_string(),
                availability: availability(&ctx, &m.data),
                m: m.data.clone(),
            })
            .collect(),
        errors,
        ctx,
    };
    Ok(render(status, &page))
}

pub async fn admin_measures(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<OfficeQuery>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    admin_measures_view(
        &state,
        ctx,
        &actor,
        q.office.parse().ok(),
        q.edit.parse().ok(),
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MeasureForm {
    office_id: String,
    measure_id: String,
    version: Version,
    #[serde(flatten)]
    form: MeasureInput,
}

pub async fn admin_measure_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<MeasureForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let Ok(office) = f.office_id.parse::<OfficeId>() else {
        return Err(PageError::not_found(&ctx));
    };
    let existing = match (f.measure_id.parse::<MeasureId>(), f.version.get()) {
        (Ok(id), Some(v)) => Some((id, v)),
        _ => None,
    };
    let result = match f.form.parse() {
        Ok(data) => cases::put_measure(ctx_of(&state, &ctx), &actor, office, existing, data).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(_) => Redirect::to(&format!("/admin/measures?office={office}")).into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::StaleVersion)) => {
            let status = status_of(&e);
            let errors = Errors::of(&ctx, &e);
            admin_measures_view(
                &state,
                ctx,
                &actor,
                Some(office),
                existing.map(|e| e.0),
                Some(f.form),
                errors,
                status,
            )
            .await?
        }
        Err(e) => domain_error(ctx, &e),
    })
}
