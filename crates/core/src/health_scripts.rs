//! Argo CD's Lua health checks, run as Argo CD runs them: a script per
//! group and kind that reads the live object as the global `obj` and
//! returns `{status = ..., message = ...}`.
//!
//! Scripts come from a folder laid out as Argo CD's
//! `resource_customizations/<group>/<kind>/health.lua`, or from an argocd-cm
//! ConfigMap's `resource.customizations.health.<group>_<kind>` keys. trueup
//! ships none: users bring Argo CD's (or their own).
//!
//! Each run gets a fresh Lua state. Argo CD's gopher-lua speaks Lua 5.1
//! plus `goto` (which Argo CD's own scripts use), so the state is Lua 5.4
//! with 5.1's `table.getn` and `unpack`, and integers pushed as integers so
//! that numbers print as 5.1 prints them (`3`, not `3.0`). It has the base
//! library less everything that loads code or files (`dofile`, `loadfile`,
//! `load`, `loadstring`, `require`, `module`), the `table`, `string` and
//! `math` libraries, and of `os` only `time` and `clock` (Argo CD's "safe
//! os"). A run is bounded: 64 MiB of memory and one
//! second (Argo CD's timeout); past either it is an error, and the object's
//! health is Unknown with that error as its message.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mlua::{HookTriggers, Lua, LuaOptions, StdLib, VmState};

use crate::error::Error;
use crate::health::{Health, HealthStatus};
use crate::yaml::Value;

/// Memory one script run may use.
pub const MEMORY_LIMIT: usize = 64 << 20;
/// Time one script run may take (Argo CD's own bound).
pub const TIME_LIMIT: Duration = Duration::from_secs(1);

/// Health scripts by API group and kind. A group or kind with `*` in it is
/// a glob pattern (Argo CD's wildcard customizations; in a folder, `_`
/// stands for `*`, as in `_.crossplane.io/_`): it applies to the kinds no
/// exact script names, the first pattern in sorted order first.
#[derive(Debug, Clone, Default)]
pub struct HealthScripts {
    scripts: HashMap<(String, String), Script>,
    wildcards: Vec<(String, String, Script)>,
}

#[derive(Debug, Clone)]
struct Script {
    /// Where it was read from, for messages.
    origin: String,
    source: String,
}

impl HealthScripts {
    /// No scripts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the script of `group`/`kind`; `origin` names it
    /// in messages.
    pub fn insert(&mut self, group: &str, kind: &str, source: impl Into<String>, origin: &str) {
        let script = Script {
            origin: origin.to_owned(),
            source: source.into(),
        };
        if group.contains('*') || kind.contains('*') {
            self.wildcards
                .retain(|(g, k, _)| (g.as_str(), k.as_str()) != (group, kind));
            self.wildcards
                .push((group.to_owned(), kind.to_owned(), script));
            self.wildcards
                .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        } else {
            self.scripts
                .insert((group.to_owned(), kind.to_owned()), script);
        }
    }

    /// How many scripts there are.
    pub fn len(&self) -> usize {
        self.scripts.len() + self.wildcards.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The script for `group`/`kind`: its own, else the first wildcard
    /// pattern that matches.
    fn script(&self, group: &str, kind: &str) -> Option<&Script> {
        self.scripts
            .get(&(group.to_owned(), kind.to_owned()))
            .or_else(|| {
                self.wildcards
                    .iter()
                    .find(|(g, k, _)| {
                        crate::glob::matches(g, group) && crate::glob::matches(k, kind)
                    })
                    .map(|(_, _, script)| script)
            })
    }

    /// Reads scripts from `path`: a folder laid out as Argo CD's
    /// `resource_customizations` (`<group>/<kind>/health.lua`; other files,
    /// and folders that are symbolic links, are left alone), or an argocd-cm ConfigMap file whose
    /// `data["resource.customizations.health.<group>_<kind>"]` are scripts.
    pub fn load(path: impl AsRef<Path>) -> Result<HealthScripts, Error> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| Error::io(&shown, e))?;
        let mut scripts = HealthScripts::new();
        if meta.is_dir() {
            let entries = |dir: &Path| -> Result<Vec<std::fs::DirEntry>, Error> {
                let mut list = std::fs::read_dir(dir)
                    .map_err(|e| Error::io(dir.display().to_string(), e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Error::io(dir.display().to_string(), e))?;
                list.sort_by_key(std::fs::DirEntry::file_name);
                Ok(list)
            };
            // Folders that are links are not followed, at either level.
            let is_folder = |e: &std::fs::DirEntry| e.file_type().is_ok_and(|t| t.is_dir());
            for group in entries(path)?.into_iter().filter(is_folder) {
                for kind in entries(&group.path())?.into_iter().filter(is_folder) {
                    let file = kind.path().join("health.lua");
                    if !file.is_file() {
                        continue;
                    }
                    let name = file.display().to_string();
                    let bytes = crate::source::read_regular_file(&file, &name)?;
                    let source = String::from_utf8(bytes)
                        .map_err(|_| Error::diff(&name, "a health script must be UTF-8 text"))?;
                    // `_` stands for `*` in Argo CD's wildcard folders.
                    let group = group.file_name().to_string_lossy().replace('_', "*");
                    let kind = kind.file_name().to_string_lossy().replace('_', "*");
                    scripts.insert(&group, &kind, source, &name);
                }
            }
        } else {
            let set = crate::load_manifests_file(path)?;
            const PREFIX: &str = "resource.customizations.health.";
            for config in set.iter() {
                let Some(Value::Map(data)) = config.value().get_path(&["data"]) else {
                    continue;
                };
                for (key, value) in data {
                    let Some(group_kind) = key.strip_prefix(PREFIX) else {
                        continue;
                    };
                    // `<kind>` alone is a core-group kind, as in Argo CD.
                    let (group, kind) = group_kind.rsplit_once('_').unwrap_or(("", group_kind));
                    let Some(source) = value.as_str() else {
                        return Err(Error::diff(
                            &shown,
                            format!("data[{key:?}]: expected the script as a string"),
                        ));
                    };
                    scripts.insert(group, kind, source, &format!("{shown}: {key}"));
                }
            }
        }
        Ok(scripts)
    }

    /// The health the script of `group`/`kind` gives `live`; `None` when
    /// there is no script for it, or the script returns nothing (`nil`, or
    /// no status). A script that fails, runs out of time or memory, or
    /// returns something else gives Unknown, with the reason.
    pub fn assess(&self, group: &str, kind: &str, live: &Value) -> Option<Health> {
        let script = self.script(group, kind)?;
        match run(&script.source, live) {
            Ok(health) => health,
            Err(message) => Some(Health {
                status: HealthStatus::Unknown,
                message: format!("{}: {message}", script.origin),
            }),
        }
    }
}

/// Lua run before every script, closing what the time bound cannot reach
/// on its own: `pcall`/`xpcall` cannot swallow the timeout (it is raised
/// again once the time is up); no `__gc` metamethod (finalizers run with
/// hooks off, when the state closes); no pattern match whose backtracking
/// could outlast the bound inside one C call (worst case (length + 1) to
/// the power of the longest run of quantified items with nothing fixed
/// between them, refused past 10^8 steps: `a*a*a*` on a long text, not
/// Argo CD's `(%d+)-(%d+)-(%d+)T...`). Originals stay
/// in locals the script cannot reach (there is no `debug` library).
const SANDBOX_PRELUDE: &str = r#"
local rawpcall, rawxpcall, rawsetmetatable, rawerror, rawtype, rawtostring =
  pcall, xpcall, setmetatable, error, type, tostring
local expired = __trueup_expired
__trueup_expired = nil
local timeout = "the health script ran for more than a second"
local function checked(ok, ...)
  if not ok and expired() then rawerror(timeout, 0) end
  return ok, ...
end
pcall = function(f, ...) return checked(rawpcall(f, ...)) end
xpcall = function(f, h, ...) return checked(rawxpcall(f, h, ...)) end
setmetatable = function(t, mt)
  if rawtype(mt) == "table" and rawget(mt, "__gc") ~= nil then
    rawerror("__gc metamethods are not allowed in health scripts", 2)
  end
  return rawsetmetatable(t, mt)
end
local byte = string.byte
-- The longest run of quantified items with nothing fixed between them
-- (`a*a*a*`, `(.-)(.-)`): what makes backtracking explode.
local function costly(s, p)
  s, p = rawtostring(s), rawtostring(p)
  local run, longest, i, n = 0, 0, 1, #p
  while i <= n do
    local c = byte(p, i)
    if c == 40 or c == 41 then -- ( ): captures do not end a run
      i = i + 1
    else
      if c == 37 then i = i + 2 -- %x
      elseif c == 91 then -- [set]
        i = i + 1
        if byte(p, i) == 94 then i = i + 1 end
        if byte(p, i) == 93 then i = i + 1 end
        while i <= n and byte(p, i) ~= 93 do
          if byte(p, i) == 37 then i = i + 1 end
          i = i + 1
        end
        i = i + 1
      else i = i + 1 end
      local q = byte(p, i)
      if q == 42 or q == 43 or q == 45 then
        run = run + 1
        if run > longest then longest = run end
        i = i + 1
      else
        if q == 63 then i = i + 1 end
        run = 0
      end
    end
  end
  return (#s + 1) ^ longest > 1e8
end
for _, name in ipairs({"find", "match", "gmatch", "gsub"}) do
  local original = string[name]
  string[name] = function(s, p, a, plain)
    if not (name == "find" and plain) and costly(s, p) then
      rawerror("string." .. name .. ": pattern too costly for the health-script sandbox", 2)
    end
    return original(s, p, a, plain)
  end
end
"#;

/// Runs one script over `live` in a fresh, bounded state.
fn run(source: &str, live: &Value) -> Result<Option<Health>, String> {
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    lua.set_memory_limit(MEMORY_LIMIT)
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(1_000),
        move |_, _| {
            if started.elapsed() > TIME_LIMIT {
                Err(mlua::Error::runtime(
                    "the health script ran for more than a second",
                ))
            } else {
                Ok(VmState::Continue)
            }
        },
    )
    .map_err(|e| e.to_string())?;
    let prepared = (|| -> mlua::Result<()> {
        let globals = lua.globals();
        for unsafe_global in [
            "dofile",
            "loadfile",
            "load",
            "loadstring",
            "require",
            "module",
            "print",
        ] {
            globals.set(unsafe_global, mlua::Nil)?;
        }
        globals.set(
            "__trueup_expired",
            lua.create_function(move |_, ()| Ok(started.elapsed() > TIME_LIMIT))?,
        )?;
        lua.load(SANDBOX_PRELUDE)
            .set_name("sandbox")
            .set_mode(mlua::ChunkMode::Text)
            .exec()?;
        // Lua 5.1 names Argo CD's scripts use.
        let table: mlua::Table = globals.get("table")?;
        table.set(
            "getn",
            lua.create_function(|_, t: mlua::Table| Ok(t.raw_len()))?,
        )?;
        globals.set("unpack", table.get::<mlua::Function>("unpack")?)?;
        let os = lua.create_table()?;
        os.set(
            "time",
            lua.create_function(|_, table: Option<mlua::Table>| os_time(table))?,
        )?;
        let clock_start = Instant::now();
        os.set(
            "clock",
            lua.create_function(move |_, ()| Ok(clock_start.elapsed().as_secs_f64()))?,
        )?;
        globals.set("os", os)?;
        globals.set("obj", to_lua(&lua, live)?)?;
        Ok(())
    })();
    prepared.map_err(|e| e.to_string())?;
    let returned: mlua::Value = lua
        .load(source)
        .set_name("health.lua")
        .set_mode(mlua::ChunkMode::Text)
        .eval()
        .map_err(|e| first_line(&e.to_string()))?;
    let table = match returned {
        mlua::Value::Nil => return Ok(None),
        mlua::Value::Table(table) => table,
        other => {
            return Err(format!(
                "expected the script to return a table, found {}",
                other.type_name()
            ));
        }
    };
    let field = |name: &str| -> Result<Option<String>, String> {
        match table.get::<mlua::Value>(name).map_err(|e| e.to_string())? {
            mlua::Value::Nil => Ok(None),
            mlua::Value::String(s) => Ok(Some(s.to_string_lossy())),
            other => Err(format!("{name} is a {}, not a string", other.type_name())),
        }
    };
    let Some(status) = field("status")? else {
        return Ok(None);
    };
    let message = field("message")?.unwrap_or_default();
    let status = match status.as_str() {
        "Healthy" => HealthStatus::Healthy,
        "Suspended" => HealthStatus::Suspended,
        "Progressing" => HealthStatus::Progressing,
        "Missing" => HealthStatus::Missing,
        "Degraded" => HealthStatus::Degraded,
        "Unknown" => HealthStatus::Unknown,
        // Argo CD's `invalidHealthStatus`.
        _ => {
            return Ok(Some(Health {
                status: HealthStatus::Unknown,
                message: "Lua returned an invalid health status".to_owned(),
            }));
        }
    };
    Ok(Some(Health { status, message }))
}

/// A Lua error's first line (the traceback is noise to a user).
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_owned()
}

/// A value as Argo CD hands it to Lua: mappings and lists as tables (lists
/// from 1), numbers as numbers, null as nil.
fn to_lua(lua: &Lua, value: &Value) -> mlua::Result<mlua::Value> {
    Ok(match value {
        Value::Null => mlua::Value::Nil,
        Value::Bool(b) => mlua::Value::Boolean(*b),
        Value::Int(i) => mlua::Value::Integer(*i),
        Value::UInt(u) => {
            i64::try_from(*u).map_or(mlua::Value::Number(*u as f64), mlua::Value::Integer)
        }
        Value::Float(f) => mlua::Value::Number(*f),
        Value::String(s) => mlua::Value::String(lua.create_string(s)?),
        Value::Seq(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(to_lua(lua, item)?)?;
            }
            mlua::Value::Table(table)
        }
        Value::Map(map) => {
            let table = lua.create_table_with_capacity(0, map.len())?;
            for (key, item) in map {
                table.raw_set(key.as_str(), to_lua(lua, item)?)?;
            }
            mlua::Value::Table(table)
        }
    })
}

/// `os.time([table])`: now, or the UTC time a `{year, month, day, hour,
/// min, sec}` table names (fields may be numbers or numeric strings, as
/// `string.match` captures are), in seconds since the epoch.
fn os_time(table: Option<mlua::Table>) -> mlua::Result<i64> {
    let Some(table) = table else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        return Ok(i64::try_from(now).unwrap_or(i64::MAX));
    };
    let field = |name: &str, default: Option<i64>| -> mlua::Result<i64> {
        match table.get::<mlua::Value>(name)? {
            mlua::Value::Integer(i) => Ok(i),
            mlua::Value::Number(n) => Ok(n as i64),
            mlua::Value::String(s) => s
                .to_str()?
                .trim()
                .parse()
                .map_err(|_| mlua::Error::runtime(format!("field '{name}' is not a number"))),
            mlua::Value::Nil => default.ok_or_else(|| {
                mlua::Error::runtime(format!("field '{name}' missing in date table"))
            }),
            _ => Err(mlua::Error::runtime(format!(
                "field '{name}' is not a number"
            ))),
        }
    };
    let (year, month, day) = (
        field("year", None)?,
        field("month", None)?,
        field("day", None)?,
    );
    let (hour, min, sec) = (
        field("hour", Some(12))?,
        field("min", Some(0))?,
        field("sec", Some(0))?,
    );
    let too_far = || mlua::Error::runtime("time out of range");
    let in_range = |n: i64| (-1_000_000_000..=1_000_000_000).contains(&n);
    if ![year, month, day, hour, min, sec].into_iter().all(in_range) {
        return Err(too_far());
    }
    days_from_civil(year, month, day)
        .checked_mul(86_400)
        .and_then(|t| t.checked_add(hour * 3_600 + min * 60 + sec))
        .ok_or_else(too_far)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`); months out of 1..=12 carry into the year, as C's
/// `mktime` does.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let (year, month) = (
        year + (month - 1).div_euclid(12),
        (month - 1).rem_euclid(12) + 1,
    );
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn object(text: &str) -> Value {
        parse_documents(text).expect("YAML").remove(0).value
    }

    fn scripts(source: &str) -> HealthScripts {
        let mut scripts = HealthScripts::new();
        scripts.insert("example.com", "Widget", source, "widget.lua");
        scripts
    }

    fn assess(source: &str, live: &str) -> Option<Health> {
        scripts(source).assess("example.com", "Widget", &object(live))
    }

    #[test]
    fn a_script_reads_obj_and_returns_status_and_message() {
        let source = r#"
hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" and c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message .. " (" .. table.getn(obj.status.conditions) .. ")"
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = string.format("waiting for %s", obj.metadata.name)
return hs
"#;
        let ready = assess(
            source,
            "metadata: {name: w}\nstatus: {conditions: [{type: Ready, status: 'True', message: ok}]}\n",
        )
        .expect("a health");
        assert_eq!(
            (ready.status, ready.message.as_str()),
            (HealthStatus::Healthy, "ok (1)")
        );
        let waiting = assess(source, "metadata: {name: w}\n").expect("a health");
        assert_eq!(
            (waiting.status, waiting.message.as_str()),
            (HealthStatus::Progressing, "waiting for w")
        );
        // Only the script's own group and kind.
        assert!(
            scripts(source)
                .assess("", "Widget", &object("a: 1\n"))
                .is_none()
        );
    }

    #[test]
    fn what_a_script_returns_besides_a_status() {
        assert_eq!(assess("return nil", "a: 1\n"), None);
        assert_eq!(assess("return {}", "a: 1\n"), None);
        let invalid = assess("return {status = 'Fine'}", "a: 1\n").expect("a health");
        assert_eq!(invalid.status, HealthStatus::Unknown);
        let number = assess("return 42", "a: 1\n").expect("a health");
        assert_eq!(number.status, HealthStatus::Unknown);
        assert!(
            number.message.contains("return a table"),
            "{}",
            number.message
        );
    }

    #[test]
    fn os_time_counts_utc_seconds_as_argo_cd_scripts_use_it() {
        let source = r#"
local y, mo, d, h, mi, s = string.match(obj.t, "(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)Z")
return {status = "Healthy", message = tostring(os.time({year=y, month=mo, day=d, hour=h, min=mi, sec=s}))}
"#;
        let health = assess(source, "t: '2025-07-30T13:46:00Z'\n").expect("a health");
        assert_eq!(health.message, "1753883160");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    /// Hostile scripts: each is stopped with a clear reason, well within a
    /// second or two, and the process goes on.
    #[test]
    fn hostile_scripts_are_stopped_with_a_reason() {
        let cases = [
            ("while true do end", "more than a second"),
            (
                "local s = string.rep('x', 1048576) local t = {} for i = 1, 1e6 do t[i] = s .. i end",
                "memory",
            ),
            ("os.execute('touch /tmp/trueup-lua-escape')", "execute"),
            ("io.open('/etc/passwd')", "io"),
            ("return dofile('/etc/passwd')", "dofile"),
            ("return loadstring('return 1')()", "loadstring"),
            ("return require('os')", "require"),
            ("error('boom')", "boom"),
            (
                "local function f() while true do end end while true do pcall(f) end",
                "more than a second",
            ),
            (
                "while true do xpcall(function() while true do end end, function() return 1 end) end",
                "more than a second",
            ),
            (
                "setmetatable({}, {__gc = function() while true do end end}) return nil",
                "__gc",
            ),
            (
                "return ((\"a\"):rep(2000)):find((\"a*\"):rep(12) .. \"b\")",
                "too costly",
            ),
            (
                "return string.gsub(string.rep('a', 5000), '(.-)(.-)(.-)b', '')",
                "too costly",
            ),
            ("print('x')", "print"),
            (
                "return {status = tostring(os.time{year = 1e14, month = 1, day = 1})}",
                "out of range",
            ),
        ];
        for (source, reason) in cases {
            let started = Instant::now();
            let health = assess(source, "a: 1\n").expect("an Unknown health");
            assert!(started.elapsed() < Duration::from_secs(3), "{source}");
            assert_eq!(health.status, HealthStatus::Unknown, "{source}");
            assert!(
                health.message.contains(reason) && health.message.starts_with("widget.lua: "),
                "{source}: {}",
                health.message
            );
        }
        assert!(!Path::new("/tmp/trueup-lua-escape").exists());
    }
}
