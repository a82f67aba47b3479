//! Organisations, offices, teams and the staff list; the administrator's lookup of a client's
//! account is in [`client_accounts`].

mod client_accounts;

use crate::{SqliteStore, fail, id, opt_id, role, ts};
use async_trait::async_trait;
use domain::ids::{OfficeId, OrganisationId, TeamId, UserId};
use domain::organisation::{
    NewOffice, NewOrganisation, NewTeam, Office, OrganisationStore, Team, UserSummary,
};
use domain::ports::PortResult;
use domain::roles::RoleGrant;
use sqlx::Row;

#[async_trait]
impl OrganisationStore for SqliteStore {
    async fn create_organisation(&self, org: NewOrganisation) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.to_string())
            .bind(org.name.as_str())
            .bind(ts(org.created_at))
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
        .bind(office.id.to_string())
        .bind(office.organisation_id.to_string())
        .bind(office.name.as_str())
        .bind(ts(office.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn create_team(&self, team: NewTeam) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO teams (id, office_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(team.id.to_string())
            .bind(team.office_id.to_string())
            .bind(team.name.as_str())
            .bind(ts(team.created_at))
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn add_team_member(&self, team: TeamId, user: UserId) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES ($1, $2)")
            .bind(team.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn list_offices(&self, org: OrganisationId) -> PortResult<Vec<Office>> {
        let rows = sqlx::query(
            "SELECT id, organisation_id, name FROM offices WHERE organisation_id = $1 ORDER BY name",
        )
        .bind(org.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        rows.iter()
            .map(|r| {
                Ok(Office {
                    id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                    organisation_id: id(&r
                        .try_get::<String, _>("organisation_id")
                        .map_err(fail)?)?,
                    name: r.try_get("name").map_err(fail)?,
                })
            })
            .collect()
    }

    async fn list_teams(&self, office: OfficeId) -> PortResult<Vec<Team>> {
        let rows = sqlx::query("SELECT id, name FROM teams WHERE office_id = $1 ORDER BY name")
            .bind(office.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
        let mut teams = Vec::new();
        for r in rows {
            let team_id: String = r.try_get("id").map_err(fail)?;
            let members: Vec<String> = sqlx::query_scalar(
                "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id",
            )
            .bind(&team_id)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
            teams.push(Team {
                id: id(&team_id)?,
                office_id: office,
                name: r.try_get("name").map_err(fail)?,
                members: members.iter().map(|m| id(m)).collect::<PortResult<_>>()?,
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
             WHERE u.organisation_id = ?
               AND EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id)
             ORDER BY u.display_name, u.username",
        )
        .bind(org.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        let grant_rows = sqlx::query(
            "SELECT g.user_id, g.role, g.office_id FROM role_grants g JOIN users u ON u.id = g.user_id WHERE u.organisation_id = $1",
        )
        .bind(org.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        rows.iter()
            .map(|r| {
                let uid: String = r.try_get("id").map_err(fail)?;
                let mut grants = Vec::new();
                for g in &grant_rows {
                    if g.try_get::<String, _>("user_id").map_err(fail)? == uid {
                        grants.push(RoleGrant {
                            role: role(&g.try_get::<String, _>("role").map_err(fail)?)?,
                            office_id: opt_id(g.try_get("office_id").map_err(fail)?)?,
                        });
                    }
                }
                Ok(UserSummary {
                    id: id(&uid)?,
                    username: r.try_get("username").map_err(fail)?,
                    display_name: r.try_get("display_name").map_err(fail)?,
                    disabled: r.try_get::<i64, _>("disabled").map_err(fail)? != 0,
                    grants,
                })
            })
            .collect()
    }
}
