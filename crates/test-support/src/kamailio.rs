//! Kamailio as a digest-authenticating registrar and proxy: its
//! configuration and its plain-text user table.

use std::io;
use std::path::Path;

/// Where Debian's kamailio package keeps its modules.
pub const MODULES: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

/// A registrar on 127.0.0.1: REGISTER and INVITE challenged against the
/// `subscriber` table, requests within a dialog loose-routed, others sent to
/// where the callee registered.
#[derive(Debug, Clone)]
pub struct Registrar<'a> {
    /// The digest realm and the domain Kamailio takes as its own.
    pub realm: &'a str,
    /// The UDP and TCP port.
    pub port: u16,
    /// The TLS port and the `tls.cfg` to use, if TLS is wanted.
    pub tls: Option<(u16, &'a Path)>,
    /// The db_text directory (see [`write_subscribers`]).
    pub db: &'a Path,
    /// More `modparam` lines (registrar limits and the like).
    pub extra: &'a str,
    /// Log every request as `REQ <method> <r-uri> from <ip:port>` on
    /// stderr, for tests that prove what reached the registrar.
    pub log_requests: bool,
}

impl Registrar<'_> {
    /// The kamailio.cfg text.
    pub fn config(&self) -> String {
        let Registrar {
            realm,
            port,
            db,
            extra,
            ..
        } = self;
        let db = db.display();
        let tls = match self.tls {
            Some((tls_port, cfg)) => format!(
                "enable_tls=yes\nlisten=tls:127.0.0.1:{tls_port}\n\
                 loadmodule \"{MODULES}tls.so\"\nmodparam(\"tls\", \"config\", \"{}\")\n",
                cfg.display()
            ),
            None => String::new(),
        };
        let log = if self.log_requests {
            "    xlog(\"L_ERR\", \"REQ $rm $ru from $si:$sp\\n\");\n"
        } else {
            ""
        };
        format!(
            r#"#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
alias="{realm}"
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
{tls}
mpath="{MODULES}"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "corex.so"
loadmodule "kex.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("usrloc", "db_mode", 0)
{extra}
request_route {{
{log}    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (is_method("REGISTER")) {{
        if (!www_authenticate("{realm}", "subscriber")) {{
            www_challenge("{realm}", "1");
            exit;
        }}
        if (!save("location")) {{
            sl_reply_error();
        }}
        exit;
    }}
    if (has_totag()) {{
        if (loose_route() || is_method("ACK")) {{
            t_relay();
            exit;
        }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!proxy_authenticate("{realm}", "subscriber")) {{
            proxy_challenge("{realm}", "1");
            exit;
        }}
        consume_credentials();
        record_route();
    }}
    if (!lookup("location")) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    t_relay();
}}
"#
        )
    }
}

/// Writes the db_text tables into `db`: the version table and `subscriber`
/// with `users` (name, plain-text password) in `realm`.
pub fn write_subscribers(db: &Path, realm: &str, users: &[(&str, &str)]) -> io::Result<()> {
    std::fs::create_dir_all(db)?;
    std::fs::write(
        db.join("version"),
        "table_name(string) table_version(int)\nsubscriber:7\nlocation:9\n",
    )?;
    let mut table = String::from(
        "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)\n",
    );
    for (i, (user, password)) in users.iter().enumerate() {
        table.push_str(&format!("{}:{user}:{realm}:{password}:-:-\n", i + 1));
    }
    std::fs::write(db.join("subscriber"), table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_and_request_log_appear_only_when_asked() {
        let db = Path::new("/tmp/x/db");
        let tls_cfg = Path::new("/tmp/x/tls.cfg");
        let mut r = Registrar {
            realm: "r.test",
            port: 7000,
            tls: Some((7001, tls_cfg)),
            db,
            extra: "modparam(\"registrar\", \"min_expires\", 120)",
            log_requests: false,
        };
        let c = r.config();
        assert!(c.contains("listen=tls:127.0.0.1:7001"));
        assert!(c.contains("modparam(\"tls\", \"config\", \"/tmp/x/tls.cfg\")"));
        assert!(c.contains("modparam(\"registrar\", \"min_expires\", 120)"));
        assert!(c.contains("text:///tmp/x/db"));
        assert!(!c.contains("xlog(\"L_ERR\""));
        r.tls = None;
        r.log_requests = true;
        let c = r.config();
        assert!(!c.contains("tls"));
        assert!(c.contains("REQ $rm $ru from $si:$sp"));
    }

    #[test]
    fn the_user_table_has_one_row_per_user() {
        let dir = std::env::temp_dir().join(format!("heron-ts-{}", std::process::id()));
        write_subscribers(&dir, "r.test", &[("1001", "pw1"), ("1002", "pw2")]).unwrap();
        let t = std::fs::read_to_string(dir.join("subscriber")).unwrap();
        assert_eq!(t.lines().count(), 3);
        assert!(t.contains("2:1002:r.test:pw2:-:-"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
