//! [`ClusterConfig`]: the `[cluster]` table of a policy (POLICY.md) — where Redis is, how
//! keys are named, what to do when it cannot be reached, and the bounded timeouts.

use std::time::Duration;

use serde::Deserialize;

/// What a node does when Redis cannot be reached within the timeouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenUnavailable {
    /// Fail closed: a reservation, outcome or opt-out that needs Redis returns
    /// [`HistoryError::Unavailable`](crate::history::HistoryError::Unavailable) (the guard
    /// answers deny `store_unavailable`).
    #[default]
    Deny,
    /// Decide with this node's local replica, count each such decision
    /// ([`RedisStore::local_decisions`](super::RedisStore::local_decisions)), queue what
    /// was recorded and append it to Redis when it returns. Caps are then per node until
    /// Redis returns: N nodes may admit up to N × the cap for numbers dialled meanwhile.
    Local,
}

/// The `[cluster]` table: several dialer servers sharing one contact history in Redis.
///
/// ```
/// use dialguard::cluster::{ClusterConfig, WhenUnavailable};
/// let c: ClusterConfig = toml::from_str(r#"
///     redis = "redis://127.0.0.1:6379"
///     key_prefix = "dg:"
///     node = "dialer-1"
///     when_unavailable = "local"
/// "#).unwrap();
/// assert_eq!(c.when_unavailable, WhenUnavailable::Local);
/// assert_eq!(c.command_timeout_ms, 250);
/// c.validate().unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or
    /// `redis+unix:///path/to/redis.sock`.
    pub redis: String,
    /// Prefix of every key this store writes (letters, digits, `:`, `_`, `.`, `-`).
    #[serde(default = "default_prefix")]
    pub key_prefix: String,
    /// This node's name, written with each stream entry (for operators); defaults to
    /// the host name and process id.
    #[serde(default)]
    pub node: Option<String>,
    /// Fail closed (`deny`, the default) or decide locally (`local`) without Redis.
    #[serde(default)]
    pub when_unavailable: WhenUnavailable,
    /// Name of an environment variable holding the Redis password, for passwords kept
    /// out of the policy file (a password in the URL wins).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Bound on opening a connection, in milliseconds (1–60000; default 200).
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    /// Bound on one command's reply, in milliseconds (1–60000; default 250).
    #[serde(default = "default_command_ms")]
    pub command_timeout_ms: u64,
    /// Entries kept per stream shard (`XADD MAXLEN ~`; ≥ 1000, default 100000): how far
    /// back a node that reconnects can catch up entry by entry. Further back it reloads
    /// the per-number keys instead, so nothing is lost, only slower.
    #[serde(default = "default_stream_maxlen")]
    pub stream_maxlen: u64,
}

fn default_prefix() -> String {
    "dg:".to_owned()
}
const fn default_connect_ms() -> u64 {
    200
}
const fn default_command_ms() -> u64 {
    250
}
const fn default_stream_maxlen() -> u64 {
    100_000
}

/// A `[cluster]` table that cannot work, with the key and what would be valid.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A key holds a value outside its valid range or syntax.
    #[error("[cluster] {key} = {value:?} is not valid: {expected}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// The value given (passwords redacted).
        value: String,
        /// What would be valid.
        expected: String,
    },
}

impl ClusterConfig {
    /// A configuration with every default, for `redis` (tests, the C and Rust APIs).
    pub fn new(redis: impl Into<String>) -> ClusterConfig {
        ClusterConfig {
            redis: redis.into(),
            key_prefix: default_prefix(),
            node: None,
            when_unavailable: WhenUnavailable::Deny,
            password_env: None,
            connect_timeout_ms: default_connect_ms(),
            command_timeout_ms: default_command_ms(),
            stream_maxlen: default_stream_maxlen(),
        }
    }

    /// Checks every key; the error names the key and what would be valid.
    pub fn validate(&self) -> Result<(), ClusterError> {
        self.connection_info()?;
        let p = &self.key_prefix;
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '-');
        if p.is_empty() || p.len() > 64 || !p.chars().all(ok) {
            return Err(invalid(
                "key_prefix",
                p,
                "1 to 64 letters, digits, ':', '_', '.' or '-'",
            ));
        }
        for (key, v) in [
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("command_timeout_ms", self.command_timeout_ms),
        ] {
            if !(1..=60_000).contains(&v) {
                return Err(invalid(key, &v.to_string(), "milliseconds from 1 to 60000"));
            }
        }
        if self.stream_maxlen < 1000 {
            return Err(invalid(
                "stream_maxlen",
                &self.stream_maxlen.to_string(),
                "at least 1000 entries",
            ));
        }
        if let Some(var) = &self.password_env
            && self.password_env_value().is_none()
        {
            return Err(invalid(
                "password_env",
                var,
                "the name of a set environment variable holding the Redis password",
            ));
        }
        Ok(())
    }

    /// The URL with any password replaced by `***`, for messages and logs.
    pub fn redacted_url(&self) -> String {
        redact(&self.redis)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms.clamp(1, 60_000))
    }

    pub(crate) fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms.clamp(1, 60_000))
    }

    fn password_env_value(&self) -> Option<String> {
        let var = self.password_env.as_deref()?;
        std::env::var(var).ok().filter(|v| !v.is_empty())
    }

    /// The parsed address, with the password from `password_env` when the URL has none.
    pub(crate) fn connection_info(&self) -> Result<redis::ConnectionInfo, ClusterError> {
        use redis::IntoConnectionInfo;
        let info = self.redis.as_str().into_connection_info().map_err(|e| {
            invalid(
                "redis",
                &self.redis,
                &format!("a redis://host:port, rediss://host:port or redis+unix:///path URL ({e})"),
            )
        })?;
        let Some(pw) = self.password_env_value() else {
            return Ok(info);
        };
        if info.redis_settings().password().is_some() {
            return Ok(info);
        }
        let settings = info.redis_settings().clone().set_password(pw);
        Ok(info.set_redis_settings(settings))
    }
}

fn invalid(key: &'static str, value: &str, expected: &str) -> ClusterError {
    ClusterError::Invalid {
        key,
        value: redact(value),
        expected: expected.to_owned(),
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((auth, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://***@{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_the_key() {
        let e = toml::from_str::<ClusterConfig>("redis = \"redis://h\"\nredis_url = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("redis_url"), "{e}");
        let e =
            toml::from_str::<ClusterConfig>("redis = \"redis://h\"\nwhen_unavailable = \"allow\"")
                .unwrap_err()
                .to_string();
        assert!(e.contains("deny") && e.contains("local"), "{e}");
        let mut c = ClusterConfig::new("redis://h:6379");
        c.command_timeout_ms = 0;
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("command_timeout_ms") && e.contains("1 to 60000"),
            "{e}"
        );
        let mut c = ClusterConfig::new("http://h");
        c.key_prefix = "a{b}".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("[cluster] redis")
        );
        c.redis = "redis://h".into();
        assert!(c.validate().unwrap_err().to_string().contains("key_prefix"));
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("redis://u:s3cret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact("rediss://s3cret@h"), "rediss://***@h");
        assert_eq!(redact("redis://h:1"), "redis://h:1");
        let mut c = ClusterConfig::new("redis://:s3cret@h:1");
        c.connect_timeout_ms = 99_999;
        assert!(!c.validate().unwrap_err().to_string().contains("s3cret"));
    }
}
