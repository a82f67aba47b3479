//! Translations: Fluent files for bokmål (default), nynorsk and English, embedded in the
//! binary. Every user-visible string goes through here. Fluent's Unicode isolation marks are
//! turned off: they leak into attributes and tests.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Nb,
    Nn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Nb, Lang::Nn, Lang::En];

    pub fn code(&self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nb" | "no" | "nb-no" | "no-no" => Some(Lang::Nb),
            "nn" | "nn-no" => Some(Lang::Nn),
            s if s == "en" || s.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    fn source(&self) -> &'static str {
        match self {
            Lang::Nb => include_str!("../i18n/nb.ftl"),
            Lang::Nn => include_str!("../i18n/nn.ftl"),
            Lang::En => include_str!("../i18n/en.ftl"),
        }
    }
}

/// The language for a request: the user's own choice (cookie), else the browser's
/// `Accept-Language` in order of preference, else bokmål.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(lang) = cookie.and_then(Lang::parse) {
        return lang;
    }
    let mut offers: Vec<(f32, Lang)> = accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let lang = Lang::parse(it.next()?)?;
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            Some((q, lang))
        })
        .collect();
    offers.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    offers.first().map(|(_, l)| *l).unwrap_or(Lang::Nb)
}

pub struct I18n {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl I18n {
    pub fn load() -> Self {
        let bundles = Lang::ALL
            .into_iter()
            .map(|lang| {
                let resource = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(
                    |(res, errors)| {
                        tracing::error!(lang = lang.code(), ?errors, "errors in translation file");
                        res
                    },
                );
                let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                bundle.set_use_isolating(false);
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(lang = lang.code(), ?errors, "duplicate translation ids");
                }
                (lang, bundle)
            })
            .collect();
        Self { bundles }
    }

    fn bundle(&self, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, b)| b)
    }

    /// The message `key` in `lang`, with `args` filled in. A missing message shows its id
    /// (and a test fails), never an empty string.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            // Text with bidirectional controls (a name with a right-to-left override) is
            // isolated, so it cannot turn the rest of the sentence around. (Fluent's own
            // isolation marks are off: they would wrap every argument, and a closing mark in
            // the text could end them.)
            let value = domain::bidi::isolate(value).into_owned();
            fargs.set(*name, FluentValue::from(value));
        }
        self.format_args(lang, key, fargs)
    }

    /// A message with one number, so that it can choose its plural form
    /// (`{ $count -> [one] … *[other] … }`).
    pub fn format_count(&self, lang: Lang, key: &str, name: &str, n: i64) -> String {
        let mut fargs = FluentArgs::new();
        fargs.set(name, FluentValue::from(n));
        self.format_args(lang, key, fargs)
    }

    fn format_args(&self, lang: Lang, key: &str, fargs: FluentArgs<'_>) -> String {
        let Some(bundle) = self.bundle(lang) else {
            return key.to_string();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = lang.code(), "missing translation");
            return key.to_string();
        };
        let mut errors = vec![];
        bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .to_string()
    }

    /// All message ids of a language (for the completeness test).
    pub fn message_ids(lang: Lang) -> BTreeSet<String> {
        lang.source()
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
            .collect()
    }
}

/// A translator bound to one request's language, handed to templates.
#[derive(Clone)]
pub struct Tr {
    i18n: Arc<I18n>,
    pub lang: Lang,
}

impl Tr {
    pub fn new(i18n: Arc<I18n>, lang: Lang) -> Self {
        Self { i18n, lang }
    }

    pub fn get(&self, key: &str) -> String {
        self.i18n.format(self.lang, key, &[])
    }

    pub fn arg(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.i18n
            .format(self.lang, key, &[(name, value.to_string())])
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A message with several arguments.
    pub fn args(&self, key: &str, args: &[(&str, String)]) -> String {
        self.i18n.format(self.lang, key, args)
    }

    /// A message with a count, in the plural form the language needs.
    pub fn count(&self, key: &str, name: &str, n: i64) -> String {
        self.i18n.format_count(self.lang, key, name, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_languages_have_the_same_messages() {
        let nb = I18n::message_ids(Lang::Nb);
        assert!(nb.len() > 50, "{} messages", nb.len());
        for lang in [Lang::Nn, Lang::En] {
            let other = I18n::message_ids(lang);
            let missing: Vec<_> = nb.difference(&other).collect();
            let extra: Vec<_> = other.difference(&nb).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn every_message_parses_and_has_no_isolation_marks() {
        let i18n = I18n::load();
        for lang in Lang::ALL {
            for id in I18n::message_ids(lang) {
                let text = i18n.format(
                    lang,
                    &id,
                    &[
                        ("name", "X".into()),
                        ("count", "2".into()),
                        ("minutes", "3".into()),
                        ("id", "abc".into()),
                        ("time", "t".into()),
                    ],
                );
                assert_ne!(text, id, "{id} in {} did not resolve", lang.code());
                assert!(!text.contains('\u{2068}') && !text.contains('\u{2069}'));
            }
        }
    }

    #[test]
    fn language_choice_prefers_the_users_setting_then_the_browser() {
        assert_eq!(negotiate(None, None), Lang::Nb);
        assert_eq!(negotiate(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(None, Some("de-DE, nn;q=0.8, en;q=0.5")), Lang::Nn);
        assert_eq!(negotiate(None, Some("no")), Lang::Nb);
        assert_eq!(negotiate(Some("en"), Some("nn")), Lang::En);
        assert_eq!(negotiate(Some("xx"), Some("nn")), Lang::Nn);
    }
}
