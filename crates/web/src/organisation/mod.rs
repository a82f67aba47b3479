//! The administrator's pages: people (staff), offices, teams, and a client's account by exact
//! username ([`client_accounts`]).

pub mod client_accounts;

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::render::{OrPage, PageError, PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::ids::{OfficeId, UserId};
use domain::organisation::store::Office;
use domain::roles::Role;
use domain::types::Secret;

#[derive(Template)]
#[template(path = "organisation/admin_home.html")]
pub struct AdminHome {
    pub ctx: PageCtx,
}

#[derive(Default, Clone, serde::Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub office_id: String,
}

pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub username: String,
    pub roles: String,
    pub status: String,
    pub disabled: bool,
    pub can_disable: bool,
}

#[derive(Template)]
#[template(path = "organisation/admin_people.html")]
pub struct AdminPeople {
    pub ctx: PageCtx,
    pub form: PersonForm,
    pub errors: Vec<(String, String)>,
    pub roles: Vec<(String, String)>,
    pub offices: Vec<Office>,
    pub people: Vec<PersonRow>,
}

#[derive(Template)]
#[template(path = "organisation/admin_units.html")]
pub struct AdminUnits {
    pub ctx: PageCtx,
    pub heading: String,
    pub action: String,
    pub submit: String,
    pub offices: Vec<Office>,
    pub name: String,
    pub error: Option<String>,
    pub items: Vec<String>,
}

pub async fn admin_home(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    // The use case authorizes ManageOrganisation; listing offices is its cheapest form.
    Ok(
        match domain::organisation::list_offices(state.store.as_ref(), &actor).await {
            Ok(_) => render(StatusCode::OK, &AdminHome { ctx }),
            Err(e) => domain_error(ctx, &e),
        },
    )
}

use domain::organisation::ASSIGNABLE_ROLES;

pub async fn people_view(
    state: &AppState,
    ctx: PageCtx,
    form: PersonForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let people = domain::organisation::list_people(state.store.as_ref(), &actor)
        .await
        .or_page(&ctx)?;
    let offices = domain::organisation::list_offices(state.store.as_ref(), &actor)
        .await
        .or_page(&ctx)?;
    let rows = people
        .into_iter()
        .map(|p| {
            let roles = p
                .grants
                .iter()
                .map(|g| {
                    let role = ctx.tr.get(&format!("role-{}", g.role.as_str()));
                    match g.office_id.and_then(|o| offices.iter().find(|x| x.id == o)) {
                        Some(o) => format!("{role} ({})", o.name),
                        None => role,
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            PersonRow {
                id: p.id.to_string(),
                name: p.display_name,
                username: p.username,
                roles,
                status: ctx.tr.get(if p.disabled {
                    "status-disabled"
                } else {
                    "status-active"
                }),
                disabled: p.disabled,
                can_disable: p.id != actor.user_id,
            }
        })
        .collect();
    let roles = ASSIGNABLE_ROLES
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                ctx.tr.get(&format!("role-{}", r.as_str())),
            )
        })
        .collect();
    Ok(render(
        status,
        &AdminPeople {
            ctx,
            form,
            errors,
            roles,
            offices,
            people: rows,
        },
    ))
}

pub async fn people_page(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    people_view(
        &state,
        ctx,
        PersonForm {
            role: "counselor".into(),
            ..Default::default()
        },
        vec![],
        StatusCode::OK,
    )
    .await
}

pub async fn people_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<PersonForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    // The staff-grant rule is the domain's (the CLI's `admin create-user` uses it too).
    let grant = Role::parse(&form.role)
        .ok_or(DomainError::invalid(
            "role",
            domain::types::FieldError::InvalidCharacters,
        ))
        .and_then(|role| {
            domain::organisation::staff_grant(role, form.office_id.parse::<OfficeId>().ok())
        });
    let grant = match grant {
        Ok(grant) => grant,
        Err(DomainError::Invalid(list)) => {
            let errors = list
                .iter()
                .map(|(field, e)| (field.to_string(), ctx.tr.get(e.code())))
                .collect();
            return people_view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(domain_error(ctx, &e).into()),
    };
    let input = domain::organisation::NewPersonInput {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: Secret::new(form.password.clone()),
        grants: vec![grant],
        protected_access: vec![],
    };
    Ok(
        match domain::organisation::create_person(
            state.store.as_ref(),
            state.clock.as_ref(),
            state.hasher.as_ref(),
            &actor,
            &input,
        )
        .await
        {
            Ok(_) => Redirect::to("/admin/people").into_response(),
            Err(e @ DomainError::Invalid(_)) => {
                let errors = ctx.field_errors(&e);
                let form = PersonForm {
                    password: String::new(),
                    ..form
                };
                people_view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await?
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn person_set_disabled(
    state: AppState,
    ctx: PageCtx,
    id: String,
    disabled: bool,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let Ok(user) = id.parse::<UserId>() else {
        return Err(PageError::not_found(&ctx));
    };
    Ok(
        match domain::organisation::set_person_disabled(
            state.store.as_ref(),
            &actor,
            user,
            disabled,
        )
        .await
        {
            Ok(()) => Redirect::to("/admin/people").into_response(),
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn person_disable(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    person_set_disabled(state, ctx, id, true).await
}

pub async fn person_enable(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    person_set_disabled(state, ctx, id, false).await
}

#[derive(Default, serde::Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    office_id: String,
}

pub async fn offices_view(
    state: &AppState,
    ctx: PageCtx,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    Ok(
        match domain::organisation::list_offices(state.store.as_ref(), &actor).await {
            Ok(offices) => {
                let page = AdminUnits {
                    heading: ctx.tr.get("admin-offices"),
                    action: "/admin/offices".into(),
                    submit: ctx.tr.get("admin-create-office"),
                    offices: vec![],
                    name,
                    error,
                    items: offices.into_iter().map(|o| o.name).collect(),
                    ctx,
                };
                render(status, &page)
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn offices_page(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    offices_view(&state, ctx, String::new(), None, StatusCode::OK).await
}

pub async fn office_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<UnitForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    Ok(
        match domain::organisation::create_office(
            state.store.as_ref(),
            state.clock.as_ref(),
            &actor,
            &form.name,
        )
        .await
        {
            Ok(_) => Redirect::to("/admin/offices").into_response(),
            Err(e @ DomainError::Invalid(_)) => {
                let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
                offices_view(
                    &state,
                    ctx,
                    form.name,
                    error,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await?
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn teams_view(
    state: &AppState,
    ctx: PageCtx,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    Ok(
        match domain::organisation::list_teams(state.store.as_ref(), &actor).await {
            Ok(by_office) => {
                let items = by_office
                    .iter()
                    .flat_map(|(o, teams)| {
                        teams
                            .iter()
                            .map(move |t| format!("{} ({}) – {}", t.name, o.name, t.members.len()))
                    })
                    .collect();
                let page = AdminUnits {
                    heading: ctx.tr.get("admin-teams"),
                    action: "/admin/teams".into(),
                    submit: ctx.tr.get("admin-create-team"),
                    offices: by_office.into_iter().map(|(o, _)| o).collect(),
                    name,
                    error,
                    items,
                    ctx,
                };
                render(status, &page)
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn teams_page(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    teams_view(&state, ctx, String::new(), None, StatusCode::OK).await
}

pub async fn team_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<UnitForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let Ok(office) = form.office_id.parse::<OfficeId>() else {
        return Err(PageError::not_found(&ctx));
    };
    Ok(
        match domain::organisation::create_team(
            state.store.as_ref(),
            state.clock.as_ref(),
            &actor,
            office,
            &form.name,
        )
        .await
        {
            Ok(_) => Redirect::to("/admin/teams").into_response(),
            Err(e @ DomainError::Invalid(_)) => {
                let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
                teams_view(
                    &state,
                    ctx,
                    form.name,
                    error,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await?
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}
