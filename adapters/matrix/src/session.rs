//! Logging in once and restoring the same device ever after: the session (user, device, access
//! token) is kept in the channel state, the crypto keys in matrix-sdk's SQLite store beside it.

use kanava_adapter::StateError;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionMeta, SessionTokens};

use crate::{Inner, Login};

const SESSION: &[u8] = b"session";

/// Why the client could not be set up.
#[derive(Debug)]
pub enum SetupError {
    /// Wrong password, unknown token: an operator must fix the configuration.
    Rejected(String),
    /// The homeserver is unreachable or failing: try again later.
    Transient(String),
    /// Local state could not be read or written.
    State(String),
}

impl From<StateError> for SetupError {
    fn from(e: StateError) -> Self {
        SetupError::State(e.to_string())
    }
}

fn classify(e: matrix_sdk::Error) -> SetupError {
    use matrix_sdk::ruma::api::error::ErrorKind;
    match e.client_api_error_kind() {
        Some(
            ErrorKind::Forbidden | ErrorKind::UnknownToken { .. } | ErrorKind::UserDeactivated,
        ) => SetupError::Rejected(format!("the homeserver refused the login: {e}")),
        Some(_) => SetupError::Transient(e.to_string()),
        None => SetupError::Transient(e.to_string()),
    }
}

/// A logged-in client on the persisted device.
pub async fn connect(inner: &Inner) -> Result<Client, SetupError> {
    let client = Client::builder()
        .homeserver_url(inner.config.homeserver.as_str())
        .sqlite_store(&inner.config.store_dir, None)
        .build()
        .await
        .map_err(|e| SetupError::Transient(format!("cannot build the client: {e}")))?;
    let saved = inner.state.get(SESSION).await?;
    if let Some(bytes) = saved {
        let session: MatrixSession = serde_json::from_slice(&bytes)
            .map_err(|e| SetupError::State(format!("stored session: {e}")))?;
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await
            .map_err(classify)?;
        return Ok(client);
    }
    match &inner.config.login {
        Login::Password(pw) => {
            client
                .matrix_auth()
                .login_username(&inner.config.user_id, pw)
                .initial_device_display_name("kanava")
                .send()
                .await
                .map_err(classify)?;
        }
        Login::AccessToken { token, device_id } => {
            let user_id = matrix_sdk::ruma::UserId::parse(&inner.config.user_id)
                .map_err(|e| SetupError::Rejected(format!("matrix.user_id: {e}")))?;
            let session = MatrixSession {
                meta: SessionMeta {
                    user_id,
                    device_id: device_id.as_str().into(),
                },
                tokens: SessionTokens {
                    access_token: token.clone(),
                    refresh_token: None,
                },
            };
            client
                .matrix_auth()
                .restore_session(session, RoomLoadSettings::default())
                .await
                .map_err(classify)?;
            // Checks the token now rather than at the first sync.
            client.whoami().await.map_err(|e| classify(e.into()))?;
        }
    }
    let session = client
        .matrix_auth()
        .session()
        .ok_or_else(|| SetupError::Transient("no session after login".into()))?;
    let bytes = serde_json::to_vec(&session).map_err(|e| SetupError::State(e.to_string()))?;
    inner.state.put(SESSION, bytes).await?;
    Ok(client)
}
