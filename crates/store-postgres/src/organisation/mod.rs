//! Organisations, offices, teams and the staff list; the administrator's lookup of a client's
//! account is in [`client_accounts`].

mod client_accounts;

use crate::{PgStore, fail, id, opt_id, role};
use async_trait::async_trait;
use domain::ids::{OfficeId, OrganisationId, TeamId, UserId};
use domain::organisation::{
    NewOffice, NewOrganisation, NewTeam, Office, OrganisationStore, Team, UserSummary,
};
use domain::ports::PortResult;
use domain::roles::RoleGrant;
use sqlx::Row;
use uuid::Uuid;

#[async_trait]
impl OrganisationStore for PgStore {
    async fn create_organisation(&self, org: NewOrganisation) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.as_uuid())
            .bind(org.name.as_str())
            .bind(org.created_at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn create_office(&self, office: NewOffice) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO offices (id, organisation_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(office.id.as_uuid())
        .bind(office.organisation_id.as_uuid())
        .bind(office.name.as_str())
        .bind(office.created_at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn create_team(&self, team: NewTeam) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO teams (id, office_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(team.id.as_uuid())
            .bind(team.office_id.as_uuid())
            .bind(team.name.as_str())
            .bind(team.created_at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn add_team_member(&self, team: TeamId, user: UserId) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(team.as_uuid())
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn list_offices(&self, org: OrganisationId) -> PortResult<Vec<Office>> {
        let rows = sqlx::query("SELECT id, organisation_id, name FROM offices WHERE organisation_id = $1 ORDER BY name")
            .bind(org.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
        rows.iter()
            .map(|r| {
                Ok(Office {
                    id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                    organisation_id: id(&r.try_get::<Uuid, _>("organisation_id").map_err(fail)?)?,
                    name: r.try_get("name").map_err(fail)?,
                })
            })
            .collect()
    }

    async fn list_teams(&self, office: OfficeId) -> PortResult<Vec<Team>> {
        let rows = sqlx::query("SELECT id, name FROM teams WHERE office_id = $1 ORDER BY name")
            .bind(office.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
        let mut teams = Vec::new();
        for r in rows {
            let team_id: Uuid = r.try_get("id").map_err(fail)?;
            let members: Vec<Uuid> = sqlx::query_scalar(
                "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id",
            )
            .bind(team_id)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
            teams.push(Team {
                id: id(&team_id)?,
                office_id: office,
                name: r.try_get("name").map_err(fail)?,
                members: members.iter().map(id).collect::<PortResult<_>>()?,
            });
        }
        Ok(teams)
    }

    async fn organisation_count(&self) -> PortResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
            .fetch_one(&self.pool)
            .await
            .map_err(fail)
    }

    async fn list_users(&self, org: OrganisationId) -> PortResult<Vec<UserSummary>> {
        let rows = sqlx::query(
            // Staff only: people with a role grant. Clients (linked from a client case, their
            // role coming from it) are never listed here (issue 11).
            "SELECT u.id, u.username, u.display_name, u.disabled FROM users u
             WHERE u.organisation_id = $1
               AND EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id)
             ORDER BY u.display_name, u.username",
        )
        .bind(org.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        let grant_rows = sqlx::query(
            "SELECT g.user_id, g.role, g.office_id FROM role_grants g JOIN users u ON u.id = g.user_id WHERE u.organisation_id = $1",
        )
        .bind(org.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        rows.iter()
            .map(|r| {
                let uid: Uuid = r.try_get("id").map_err(fail)?;
                let mut grants = Vec::new();
                for g in &grant_rows {
                    if g.try_get::<Uuid, _>("user_id").map_err(fail)? == uid {
                        grants.push(RoleGrant {
                            role: role(&g.try_get::<String, _>("role").map_err(fail)?)?,
                            office_id: opt_id(
                                g.try_get::<Option<Uuid>, _>("office_id").map_err(fail)?,
                            )?,
                        });
                    }
                }
                Ok(UserSummary {
                    id: id(&uid)?,
                    username: r.try_get("username").map_err(fail)?,
                    display_name: r.try_get("display_name").map_err(fail)?,
                    disabled: r.try_get::<bool, _>("disabled").map_err(fail)?,
                    grants,
                })
            })
            .collect()
    }
}
