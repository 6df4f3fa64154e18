//! Tab groups: the same step written once per OS or tool, of which the reader follows one. Sites
//! render them as tabs, so a page repeats `kubectl create namespace x` under "Linux" and "macOS";
//! replayed in sequence that is an AlreadyExists, read as the reader reads it, one step.
//!
//! The markups recognised, by line:
//! - MDX (Docusaurus): `<Tabs …>`, each `<TabItem …>` a variant, `</Tabs>`;
//! - Hugo shortcodes: `{{< tabs >}}` / `{{% tabs %}}`, each `{{% tab "…" %}}` (or a shortcode
//!   whose name ends in `tab`: minikube's `linuxtab`, `mactab`) a variant, `{{< /tabs >}}`;
//! - mkdocs-material content tabs: consecutive `=== "Label"` lines at one indentation, each body
//!   indented under it; the group ends at the first line less indented than the body that is not
//!   another `===` (pymdownx.tabbed);
//! - DocFX tabs: headings `# [Label](#tab/id)`, the group ending at a `---` line.

use super::markdown::indent_of as indent;
use crate::source::SourceText;

/// Where a line is: in variant `variant` (from 0) of tab group `group` (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tab {
    pub group: usize,
    pub variant: usize,
}

/// The name of a Hugo shortcode that opens (`{{< tabs >}}`, `{{% tab "x" %}}`); None otherwise.
fn shortcode(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("{{<")
        .or_else(|| line.strip_prefix("{{%"))?
        .trim_start();
    Some(
        rest.split(|c: char| c.is_whitespace() || c == '>' || c == '%')
            .next()
            .unwrap_or(""),
    )
}

/// The tab of every line (index = line number; index 0 unused).
pub fn of_lines(source: &SourceText) -> Vec<Option<Tab>> {
    let n = source.line_count();
    let mut out = vec![None; n + 2];
    let mut groups = 0;
    // the open group: (its number, the variant under way, the indentation of a `===` marker)
    let mut open: Option<(usize, usize, Option<usize>)> = None;
    let new_group = |groups: &mut usize| {
        *groups += 1;
        *groups - 1
    };
    for (l, slot) in out.iter_mut().enumerate().take(n + 1).skip(1) {
        let line = source.line(l);
        let t = line.trim();
        let mkdocs =
            t.starts_with("=== \"") || t.starts_with("===! \"") || t.starts_with("===+ \"");
        let docfx = t.starts_with('#') && t.contains("](#tab/");
        let code = shortcode(t);
        // a marker that starts a variant (opening its group when none is open)
        let variant = t.starts_with("<TabItem")
            || mkdocs
            || docfx
            || code.is_some_and(|c| c.ends_with("tab") && !c.starts_with('/'));
        let opens = t.starts_with("<Tabs") || code == Some("tabs");
        let closes = t.starts_with("</Tabs>")
            || code == Some("/tabs")
            || (t == "---" && open.is_some_and(|(.., m)| m.is_none()));
        // a mkdocs group ends at a line less indented than its bodies that is no marker
        if let Some((_, _, Some(marker))) = open {
            let another_marker = mkdocs && indent(line) == marker;
            if !(t.is_empty() || another_marker) && indent(line) <= marker {
                open = None;
            }
        }
        if closes {
            open = None;
            continue;
        }
        if opens {
            open = Some((new_group(&mut groups), 0, None));
            // `<Tabs>` and `{{< tabs >}}` hold their first variant's marker on a later line
            if let Some(o) = open.as_mut() {
                o.1 = usize::MAX;
            }
            continue;
        }
        if variant {
            let marker = mkdocs.then(|| indent(line));
            open = match open {
                Some((g, v, m)) => Some((g, v.wrapping_add(1), m.or(marker))),
                None => Some((new_group(&mut groups), 0, marker)),
            };
        }
        if let Some((group, variant, _)) = open {
            if variant != usize::MAX {
                *slot = Some(Tab { group, variant });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tabs(md: &str) -> Vec<Option<(usize, usize)>> {
        let s = SourceText::new(md.to_string());
        of_lines(&s)[1..=s.line_count()]
            .iter()
            .map(|t| t.map(|t| (t.group, t.variant)))
            .collect()
    }

    #[test]
    fn each_markup_gives_one_group_with_a_variant_per_tab() {
        let mdx = "<Tabs groupId=\"os\">\n<TabItem value=\"a\">\n\nA\n</TabItem>\n<TabItem value=\"b\">\nB\n</TabItem>\n</Tabs>\nafter\n";
        let t = tabs(mdx);
        assert_eq!(t[3], Some((0, 0)));
        assert_eq!(t[6], Some((0, 1)));
        assert_eq!(t[9], None);
        let hugo = "{{% tabs %}}\n{{% linuxtab %}}\nA\n{{% /linuxtab %}}\n{{% mactab %}}\nB\n{{% /mactab %}}\n{{% /tabs %}}\nafter\n";
        let t = tabs(hugo);
        assert_eq!((t[2], t[5], t[8]), (Some((0, 0)), Some((0, 1)), None));
        let mkdocs = "=== \"Linux\"\n\n    A\n\n=== \"macOS\"\n\n    B\n\nafter\n";
        let t = tabs(mkdocs);
        assert_eq!((t[2], t[6], t[8]), (Some((0, 0)), Some((0, 1)), None));
        let docfx = "# [Linux](#tab/linux)\nA\n# [Windows](#tab/windows)\nB\n---\nafter\n";
        let t = tabs(docfx);
        assert_eq!((t[1], t[3], t[5]), (Some((0, 0)), Some((0, 1)), None));
    }

    #[test]
    fn two_groups_are_two_and_a_page_without_tabs_has_none() {
        let md = "=== \"a\"\n    A\n=== \"b\"\n    B\ntext\n\n=== \"a\"\n    A\n";
        let t = tabs(md);
        assert_eq!(
            (t[1], t[3], t[4], t[6]),
            (Some((0, 0)), Some((0, 1)), None, Some((1, 0)))
        );
        assert!(tabs("# Title\n\n```bash\nls\n```\n---\n")
            .iter()
            .all(Option::is_none));
    }
}
