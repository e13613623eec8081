//! The channels enabled in the configuration, each wired to the engine and, for platform
//! channels, to its own slice of durable channel state.

use std::sync::Arc;

use kanava_adapter::{Adapter, ChannelId, ChannelStore, Conversation};

use super::StartError;
use crate::config::Config;
use crate::storage::ChannelStates;

/// A platform channel's name and its durable state (offsets, outboxes, sessions).
#[allow(dead_code)] // unused when every platform feature is off
fn channel_state(
    states: &dyn ChannelStates,
    name: &str,
) -> Result<(ChannelId, Arc<dyn ChannelStore>), StartError> {
    let channel = ChannelId::new(name);
    let state = states.open(&channel)?;
    Ok((channel, state))
}

/// The adapters enabled in the configuration; `states` holds their durable progress.
pub(super) fn adapters(
    config: &Config,
    conversation: Arc<dyn Conversation>,
    states: &dyn ChannelStates,
) -> Result<Vec<Arc<dyn Adapter>>, StartError> {
    // Only the enabled channel features push; a slim build has none.
    #[allow(unused_mut)]
    let mut out: Vec<Arc<dyn Adapter>> = Vec::new();
    #[cfg(feature = "webchat")]
    if config.webchat.enabled {
        out.push(Arc::new(kanava_webchat::WebChat::new(
            ChannelId::new("webchat"),
            conversation.clone(),
            kanava_webchat::WebChatConfig {
                allowed_origins: config.webchat.allowed_origins.clone(),
                max_message_bytes: config.webchat.max_message_bytes,
                messages_per_second: config.webchat.messages_per_second,
                trusted_proxies: config.webchat.trusted_proxies.clone(),
            },
        )));
    }
    #[cfg(feature = "telegram")]
    if let Some(t) = &config.telegram {
        use crate::config::TelegramMode;
        let (channel, state) = channel_state(states, "telegram")?;
        out.push(Arc::new(kanava_telegram::Telegram::new(
            channel,
            conversation.clone(),
            state,
            kanava_telegram::TelegramConfig {
                token: t.token.clone(),
                api_url: t.api_url.clone(),
                mode: match &t.mode {
                    TelegramMode::Polling => kanava_telegram::Mode::Polling,
                    TelegramMode::Webhook { url, secret } => kanava_telegram::Mode::Webhook {
                        public_url: url.clone(),
                        secret: secret.clone(),
                    },
                },
                groups: if t.answer_in_groups {
                    kanava_telegram::GroupReplies::WhenMentioned
                } else {
                    kanava_telegram::GroupReplies::Never
                },
                poll_timeout: std::time::Duration::from_secs(u64::from(t.poll_timeout_seconds)),
            },
        )));
    }
    #[cfg(feature = "botframework")]
    if let Some(b) = &config.botframework {
        use crate::config::BotFrameworkAuth;
        let (channel, state) = channel_state(states, "botframework")?;
        let credentials = match (&b.app_id, &b.app_password) {
            (Some(id), Some(pw)) => Some(kanava_botframework::Credentials {
                token_url: b.token_url.clone(),
                app_id: id.clone(),
                app_password: pw.clone(),
                scope: b.token_scope.clone(),
            }),
            _ => None,
        };
        out.push(Arc::new(kanava_botframework::BotFramework::new(
            channel,
            conversation.clone(),
            state,
            kanava_botframework::BotFrameworkConfig {
                auth: match &b.auth {
                    BotFrameworkAuth::Jwt {
                        openid_url,
                        issuers,
                    } => kanava_botframework::Auth::Jwt(kanava_botframework::JwtConfig {
                        openid_url: openid_url.clone(),
                        issuers: issuers.clone(),
                        app_id: b.app_id.clone().unwrap_or_default(),
                    }),
                    BotFrameworkAuth::None => kanava_botframework::Auth::None,
                },
                credentials,
                service_urls: b.service_urls.clone(),
                max_body_bytes: b.max_body_bytes,
            },
        )));
    }
    #[cfg(feature = "matrix")]
    if let Some(m) = &config.matrix {
        use crate::config::MatrixLogin;
        let (channel, state) = channel_state(states, "matrix")?;
        out.push(Arc::new(kanava_matrix::Matrix::new(
            channel,
            conversation.clone(),
            state,
            kanava_matrix::MatrixConfig {
                homeserver: m.homeserver.clone(),
                user_id: m.user_id.clone(),
                login: match &m.login {
                    MatrixLogin::Password(p) => kanava_matrix::Login::Password(p.clone()),
                    MatrixLogin::AccessToken { token, device_id } => {
                        kanava_matrix::Login::AccessToken {
                            token: token.clone(),
                            device_id: device_id.clone(),
                        }
                    }
                },
                store_dir: config.data_dir.join("matrix"),
                allowed_servers: m.allowed_servers.clone(),
                allowed_users: m.allowed_users.clone(),
                answer_in_groups: m.answer_in_groups,
            },
        )));
    }
    let _ = (&conversation, config, states);
    Ok(out)
}
