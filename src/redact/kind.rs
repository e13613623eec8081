//! The kinds of personal data the redactor removes, and per-kind counts.

use std::fmt;

/// A kind of personal data; each becomes a typed placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Finnish personal identity code (henkilötunnus), valid or mistyped: `[HETU]`.
    Hetu,
    /// Swedish personnummer or samordningsnummer: `[PERSONNUMMER]`.
    Personnummer,
    /// Any other run of six or more digits (application, diary, customer numbers): `[NUMBER]`.
    Number,
    /// A date with a year: `[DATE]`.
    Date,
    /// An e-mail address: `[EMAIL]`.
    Email,
    /// A phone number: `[PHONE]`.
    Phone,
    /// An IBAN with a valid checksum: `[IBAN]`.
    Iban,
    /// A payment card number with a valid Luhn checksum: `[CARD]`.
    Card,
    /// An IPv4 or IPv6 address: `[IP]`.
    Ip,
    /// A street address with its house number: `[ADDRESS]`.
    Address,
    /// A passport, card or driving-licence number, or a vehicle's plate: `[DOCUMENT]`.
    Document,
    /// A person's name: `[NAME]`.
    Name,
}

impl Kind {
    /// Every kind, in placeholder order.
    pub const ALL: [Kind; 12] = [
        Kind::Hetu,
        Kind::Personnummer,
        Kind::Number,
        Kind::Date,
        Kind::Email,
        Kind::Phone,
        Kind::Iban,
        Kind::Card,
        Kind::Ip,
        Kind::Address,
        Kind::Document,
        Kind::Name,
    ];

    /// The placeholder written in place of the data.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Hetu => "[HETU]",
            Kind::Personnummer => "[PERSONNUMMER]",
            Kind::Number => "[NUMBER]",
            Kind::Date => "[DATE]",
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::Iban => "[IBAN]",
            Kind::Card => "[CARD]",
            Kind::Ip => "[IP]",
            Kind::Address => "[ADDRESS]",
            Kind::Document => "[DOCUMENT]",
            Kind::Name => "[NAME]",
        }
    }

    /// The lowercase name used in metrics and transcripts.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hetu => "hetu",
            Kind::Personnummer => "personnummer",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Iban => "iban",
            Kind::Card => "card",
            Kind::Ip => "ip",
            Kind::Address => "address",
            Kind::Document => "document",
            Kind::Name => "name",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many items of each kind were removed (never the items).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u32; Kind::ALL.len()]);

impl Counts {
    /// Counts one more item.
    pub fn add(&mut self, kind: Kind) {
        self.0[kind.index()] += 1;
    }

    /// The count of one kind.
    pub fn get(&self, kind: Kind) -> u32 {
        self.0[kind.index()]
    }

    /// All items removed.
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    /// The kinds with a non-zero count.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u32)> + '_ {
        Kind::ALL
            .into_iter()
            .map(|k| (k, self.get(k)))
            .filter(|(_, n)| *n > 0)
    }
}
