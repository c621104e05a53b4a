//! What `launch vars` reports: one entry per variable the templates name,
//! in order of first use, and the formats it is printed in — a table for a
//! terminal, JSON for programs, a commented `.env.example` that
//! `--env-file` reads, and a Markdown table for a runbook.
//!
//! Everything printed comes from the templates (names, types, defaults,
//! positions), never from a value; only the table and JSON say whether a
//! variable is set, so that the `.env.example` and Markdown outputs depend
//! on the templates alone and can be committed and diffed in CI.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::cli::VarsFormat;
use crate::diag::visible;
use crate::resolve::Env;
use crate::templates::Listed;
use crate::types::Type;

/// One variable as `vars` reports it.
#[derive(Debug, serde::Serialize)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// The type of its first placeholder that names one (or `--type`), else
    /// the type of where it first stands.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The first default a placeholder of it gives, as written.
    pub default: Option<String>,
    /// True when some placeholder of it has no default.
    pub required: bool,
    /// True when the environment (with the env files) gives it a value that
    /// every placeholder of it takes as one: an empty value is not set
    /// where a placeholder counts it as unset (`:-`, `:?`) or its type
    /// needs text.
    pub set: bool,
    /// Where it is used: `FILE:LINE:COL`, in order.
    pub locations: Vec<String>,
}

/// One entry per variable, in order of first appearance.
pub fn aggregate(listed: &[Listed], env: &Env, types: &HashMap<String, Type>) -> Vec<Var> {
    let mut vars: Vec<Var> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut explicit_type: Vec<bool> = Vec::new();
    // Per variable: whether its value is empty, when it has one.
    let mut empty: Vec<Option<bool>> = Vec::new();
    let found = listed.iter().flat_map(|l| {
        l.placeholders
            .iter()
            .map(|(f, at)| (format!("{}:{at}", l.file.display()), f.clone()))
    });
    for (location, f) in found {
        let declared = f.ty.or_else(|| types.get(&f.name).copied());
        let i = *index.entry(f.name.clone()).or_insert_with(|| {
            vars.push(Var {
                name: f.name.clone(),
                ty: declared.unwrap_or(f.context_type).name(),
                default: None,
                required: false,
                set: false,
                locations: Vec::new(),
            });
            explicit_type.push(declared.is_some());
            empty.push(match env.value(&f.name) {
                Ok(Some(v)) => Some(v.is_empty()),
                _ => None,
            });
            vars.len() - 1
        });
        let var = &mut vars[i];
        if !explicit_type[i]
            && let Some(ty) = declared
        {
            var.ty = ty.name();
            explicit_type[i] = true;
        }
        if var.default.is_none() {
            var.default = f.default;
        }
        var.required |= f.required;
        var.locations.push(location);
        let ty = declared.unwrap_or(f.context_type);
        if empty[i] == Some(true) && (f.empty_is_unset || !ty.is_text()) {
            // This placeholder would not take the empty value.
            empty[i] = None;
        }
    }
    for (var, value) in vars.iter_mut().zip(&empty) {
        var.set = value.is_some();
    }
    vars
}

/// Prints `vars` in `format` to `out`.
pub fn print(vars: &[Var], format: VarsFormat, out: &mut impl Write) -> io::Result<()> {
    match format {
        VarsFormat::Table => table(vars, out),
        VarsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, vars)?;
            writeln!(out)
        }
        VarsFormat::Env => env_example(vars, out),
        VarsFormat::Markdown => markdown(vars, out),
    }
}

fn table(vars: &[Var], out: &mut impl Write) -> io::Result<()> {
    let width = vars.iter().map(|v| v.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{:width$}  {:8}  {:8}  {:3}  DEFAULT",
        "NAME", "TYPE", "REQUIRED", "SET"
    )?;
    for v in vars {
        writeln!(
            out,
            "{:width$}  {:8}  {:8}  {:3}  {}",
            v.name,
            v.ty,
            if v.required { "yes" } else { "no" },
            if v.set { "yes" } else { "no" },
            v.default.as_deref().map_or("-".into(), visible)
        )?;
    }
    Ok(())
}

const ENV_HEADER: &str = "\
# The variables of these templates, written by `launch vars --format env`.
# Read by `launch --env-file FILE` and `docker run --env-file FILE`.
#
# A required variable is a name alone: it takes its value from the
# environment, and is not set when the environment does not have it, so
# `launch check --env-file FILE` fails until it is given. Write NAME=VALUE
# to fill it in (the value is everything after `=`, quotes included).
# A variable with a default is a comment showing the default, which
# applies while the line stays a comment.
";

/// A commented `.env.example`, in the syntax `--env-file` reads. Used as it
/// is, it sets nothing but what the environment provides for the required
/// variables: `check` passes once each of those is given. `NAME=` would not
/// do: it sets NAME to the empty text, which `${NAME}` accepts. A default is
/// shown in a comment rather than written as a value: a default with
/// placeholders of its own would not be expanded from a file, and a value
/// copied from it would stay when the template's default changes.
fn env_example(vars: &[Var], out: &mut impl Write) -> io::Result<()> {
    out.write_all(ENV_HEADER.as_bytes())?;
    for v in vars {
        let what = match (&v.default, v.required) {
            (None, _) => "required".to_owned(),
            (Some(_), false) => "optional".to_owned(),
            (Some(d), true) => format!("required; some uses default to {}", visible(d)),
        };
        writeln!(out, "\n# {} ({}), {what}", v.name, v.ty)?;
        writeln!(out, "# used at {}", visible(&v.locations.join(", ")))?;
        match (&v.default, v.required) {
            (Some(d), false) => writeln!(out, "# {}={}", v.name, visible(d))?,
            _ => writeln!(out, "{}", v.name)?,
        }
    }
    Ok(())
}

/// A Markdown table (GitHub's tables), for a runbook or a README.
fn markdown(vars: &[Var], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "| Variable | Type | Required | Default | Used at |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for v in vars {
        let default = match v.default.as_deref() {
            None => String::new(),
            Some("") => "*empty*".to_owned(),
            Some(d) => code(&visible(d)),
        };
        let locations: Vec<String> = v.locations.iter().map(|l| code(&visible(l))).collect();
        writeln!(
            out,
            "| {} | {} | {} | {default} | {} |",
            code(&v.name),
            v.ty,
            if v.required { "yes" } else { "no" },
            locations.join(", ")
        )?;
    }
    Ok(())
}

/// `text` as a Markdown code span inside a table cell: fenced with more
/// backticks than it holds in a row, and every `|` escaped, which GitHub's
/// tables need even in code. A space pads it inside the fence when it
/// begins or ends with a backtick, or begins and ends with a space (not all
/// spaces): CommonMark takes one space off each end of such a span.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let spaced = text.starts_with(' ') && text.ends_with(' ') && text.trim_start() != "";
    let pad = if text.starts_with('`') || text.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, ty: &'static str, default: Option<&str>, required: bool) -> Var {
        Var {
            name: name.to_owned(),
            ty,
            default: default.map(str::to_owned),
            required,
            set: true,
            locations: vec!["a.config:1:2".to_owned(), "b.args:3:4".to_owned()],
        }
    }

    fn printed(vars: &[Var], format: VarsFormat) -> String {
        let mut out = Vec::new();
        print(vars, format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_env_example_leaves_required_variables_to_be_filled_in() {
        let vars = [
            var("PORT", "port", Some("4000"), false),
            var("PASSWORD", "string", None, true),
            var("MIXED", "string", Some("d"), true),
        ];
        let text = printed(&vars, VarsFormat::Env);
        let body = text.strip_prefix(ENV_HEADER).unwrap();
        assert_eq!(
            body,
            "\n# PORT (port), optional\n# used at a.config:1:2, b.args:3:4\n# PORT=4000\n\
             \n# PASSWORD (string), required\n# used at a.config:1:2, b.args:3:4\nPASSWORD\n\
             \n# MIXED (string), required; some uses default to d\n# used at a.config:1:2, b.args:3:4\nMIXED\n"
        );
    }

    #[test]
    fn line_breaks_in_defaults_and_paths_stay_inside_their_comment_and_cell() {
        let mut v = var("A", "string", Some("x\ny|`z`"), false);
        v.locations = vec!["dir\nX=1/f.config:1:1".to_owned()];
        let env = printed(std::slice::from_ref(&v), VarsFormat::Env);
        for line in env.lines() {
            assert!(line.is_empty() || line.starts_with('#'), "{line:?}");
        }
        assert!(env.contains("# A=x\\ny|`z`\n"), "{env}");
        let md = printed(&[v], VarsFormat::Markdown);
        assert_eq!(md.lines().count(), 3, "{md}");
        assert!(md.contains("| `` x\\ny\\|`z` `` |"), "{md}");
        assert!(md.contains("`dir\\nX=1/f.config:1:1`"), "{md}");
    }

    #[test]
    fn the_table_shows_control_characters_in_defaults_as_escapes() {
        let table = printed(
            &[var("A", "string", Some("x\ny\u{1b}[2J"), false)],
            VarsFormat::Table,
        );
        assert_eq!(table.lines().count(), 2, "{table}");
        assert!(table.ends_with("  x\\ny\\u{1b}[2J\n"), "{table}");
    }

    #[test]
    fn markdown_keeps_the_spaces_around_a_default() {
        // CommonMark takes one space off each end of `` ` a ` ``.
        assert_eq!(code(" a "), "`  a  `");
        assert_eq!(code(" a"), "` a`");
        assert_eq!(code("  "), "`  `");
        assert_eq!(code("`a"), "`` `a ``");
    }

    #[test]
    fn markdown_marks_an_empty_default_and_leaves_none_blank() {
        let md = printed(
            &[
                var("E", "string", Some(""), false),
                var("N", "int", None, true),
            ],
            VarsFormat::Markdown,
        );
        let rows: Vec<&str> = md.lines().skip(2).collect();
        assert_eq!(
            rows,
            [
                "| `E` | string | no | *empty* | `a.config:1:2`, `b.args:3:4` |",
                "| `N` | int | yes |  | `a.config:1:2`, `b.args:3:4` |",
            ]
        );
    }
}
