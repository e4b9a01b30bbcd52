//! The JSON reader behind the parse functions: a [`serde::Deserializer`] over a body already
//! checked to be UTF-8, and a direct interface ([`Reader::peek`], [`Reader::null`],
//! [`Reader::object`], [`Reader::array`], [`Reader::owned_string`], and [`Fields`] on an
//! object's entries) through
//! which the crate's own types fill themselves without serde's visitor layers
//! ([`Fill::fill_direct`]).
//!
//! serde_json's reader is general: it serves any source, tracks lines and columns for its
//! errors, and steps over whitespace a byte at a time. This one reads a whole body held in
//! memory and reports no detail when it fails: [`from_body`](crate::json::from_body) then
//! reads the body again with serde_json to say where and what. That leaves it free to step
//! over indentation and plain string content eight bytes at a time.
//!
//! It accepts exactly the texts serde_json accepts and makes the same `visit_*` calls with the
//! same values (borrowed strings when there is no escape, `u64`/`i64`/`f64` numbers by the
//! same rules, no nesting limit for ignored values), for every kind of value the crate's types
//! ask for. The few requests none of them makes, and which serde_json answers in ways of its
//! own (128-bit integers, `f32`, byte strings, numbers or booleans as map keys, enums written
//! as maps), are refused. The tests at the end of this module hold it
//! to that on every body the repository stores (fixtures, fuzz corpora, JSONTestSuite) and on
//! generated text; the fuzz targets check it from the outside (`tests/support/checks.rs`).
//!
//! No `unsafe`: slices are taken with `get`, so a bug here is a refused body, never a read
//! out of bounds.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::fields::{Fields, Fill};
use super::open_brackets::OpenBrackets;

/// serde_json's nesting limit: the 128th level of arrays and objects is refused.
const DEPTH_LIMIT: u8 = 128;

/// Eight spaces, the usual run of indentation.
const SPACES: u64 = u64::from_le_bytes([b' '; 8]);

/// The reader refused the body; serde_json, reading it again, says why.
#[derive(Debug)]
pub(crate) struct Rejected;

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a body the crate reads")
    }
}

impl std::error::Error for Rejected {}

impl de::Error for Rejected {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Rejected
    }
}

type Result<T> = std::result::Result<T, Rejected>;

/// Reads one JSON text.
pub(crate) struct Reader<'de> {
    text: &'de str,
    pos: usize,
    depth_left: u8,
}

/// A string as read: borrowed from the body, or unescaped into a string of its own.
enum Text<'de> {
    Borrowed(&'de str),
    Unescaped(String),
}

impl<'de> Text<'de> {
    /// The text, borrowed from the body when it can be, owned when it was unescaped.
    fn into_cow(self) -> Cow<'de, str> {
        match self {
            Text::Borrowed(text) => Cow::Borrowed(text),
            Text::Unescaped(text) => Cow::Owned(text),
        }
    }
}

/// The character a one-letter escape (`\n`, `\"`, ...) stands for.
fn one_letter_escape(letter: u8) -> Option<char> {
    Some(match letter {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The ASCII digits a little-endian word starts with: their value, and how many there are
/// (0 to 8).
#[inline(always)]
fn leading_digits(word: u64) -> (u64, usize) {
    const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);
    const SIXES: u64 = u64::from_le_bytes([0x06; 8]);
    const HIGH_NIBBLES: u64 = u64::from_le_bytes([0xF0; 8]);
    // Less '0', a digit byte is below 10: its high nibble is clear, and still is after adding
    // 6. A byte above 0xF9 carries into the one after it, which can only add flags above the
    // first one: the lowest flag is exact.
    let values = word ^ ZEROS;
    let not_digits = (values | values.wrapping_add(SIXES)) & HIGH_NIBBLES;
    let count = (not_digits.trailing_zeros() / 8) as usize;
    if count == 0 {
        return (0, 0);
    }
    // The first digit is the lowest byte: shifted to the top of the word, the digits have
    // zeros before them. Neighbours combine into pairs, pairs into fours, fours into the value.
    let digits = values << (64 - 8 * count);
    let pairs = (digits * 10 + (digits >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    ((fours * 10_000 + (fours >> 32)) & 0xFFFF_FFFF, count)
}

/// `10^n` for the digit counts of [`leading_digits`].
const POWERS_OF_TEN: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// A number as serde_json classifies it.
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// Where a number stands, and its digits when it is an integer that fits `u64`.
struct ScannedNumber {
    start: usize,
    negative: bool,
    integer: Option<u64>,
}

impl<'de> Reader<'de> {
    pub(crate) fn new(text: &'de str) -> Self {
        Reader {
            text,
            pos: 0,
            depth_left: DEPTH_LIMIT,
        }
    }

    /// The text's bytes. Read through the text each time rather than kept beside it: one
    /// pointer fewer for the optimiser to track, which saved about 1% of a parse's
    /// instructions.
    #[inline(always)]
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// Refuses anything but whitespace after the value.
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Rejected),
        }
    }

    /// Where the next value starts (past any whitespace), to take its text with
    /// [`Reader::text_from`] once it is read.
    pub(crate) fn value_start(&mut self) -> usize {
        self.peek();
        self.pos
    }

    /// The text read since `start` (a value's, when `start` came from
    /// [`Reader::value_start`] and the value has just been read).
    pub(crate) fn text_from(&self, start: usize) -> &'de str {
        self.text.get(start..self.pos).unwrap_or_default()
    }

    /// The next byte that is not whitespace (the first byte of the next value or token),
    /// left unread.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        let byte = *self.bytes().get(self.pos)?;
        if byte > b' ' {
            return Some(byte);
        }
        // Pretty-printed bodies put one space after each colon: step over it without the
        // general loop.
        if byte == b' ' {
            let next = *self.bytes().get(self.pos + 1)?;
            if next > b' ' {
                self.pos += 1;
                return Some(next);
            }
        }
        self.peek_past_whitespace()
    }

    /// [`Reader::peek`] when whitespace comes first, a newline and its indentation above all.
    ///
    /// Written as plain comparisons, which LLVM (Rust 1.95) may still turn into a jump table.
    /// The newline before a key, an element or a closing bracket, the common case, is taken
    /// before this ([`Reader::peek_line`]). Changes to this function moved the instruction
    /// count of a whole parse by several percent, as they changed what got inlined: measure
    /// with callgrind before keeping one.
    fn peek_past_whitespace(&mut self) -> Option<u8> {
        loop {
            let byte = *self.bytes().get(self.pos)?;
            if byte == b'\n' {
                self.pos = self.past_spaces(self.pos + 1);
            } else if byte == b' ' || byte == b'\t' || byte == b'\r' {
                self.pos += 1;
            } else {
                return Some(byte);
            }
        }
    }

    /// The position after the spaces from `at`: pretty-printed bodies indent every line, and
    /// the spaces are counted a word at a time.
    #[inline(always)]
    fn past_spaces(&self, mut at: usize) -> usize {
        while let Some(word) = self.word(at) {
            let spaces = (word ^ SPACES).trailing_zeros() / 8;
            at += spaces as usize;
            if spaces < 8 {
                break;
            }
        }
        at
    }

    /// [`Reader::peek`] where pretty-printed bodies start a new line (before each key or
    /// element, and before the closing bracket): a newline and its indentation are stepped
    /// over without the general loop.
    #[inline(always)]
    fn peek_line(&mut self) -> Option<u8> {
        if self.bytes().get(self.pos) == Some(&b'\n') {
            self.pos = self.past_spaces(self.pos + 1);
        }
        self.peek()
    }

    /// Consumes `byte` as the next non-whitespace byte, or refuses.
    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Rejected)
        }
    }

    /// The eight bytes at `at`, if there are eight.
    #[inline]
    fn word(&self, at: usize) -> Option<u64> {
        let chunk = self.bytes().get(at..)?.first_chunk::<8>()?;
        Some(u64::from_le_bytes(*chunk))
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        match self.bytes().get(self.pos..) {
            Some(rest) if rest.starts_with(word) => {
                self.pos += word.len();
                Ok(())
            }
            _ => Err(Rejected),
        }
    }

    /// The first quote, backslash or control character at or after `at` (or the end).
    #[inline]
    fn string_stop(&self, mut at: usize) -> usize {
        const ONES: u64 = u64::from_le_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
        // Bytes at or above 0x80 (UTF-8 sequences) never stop a string.
        const fn zero_bytes(word: u64) -> u64 {
            word.wrapping_sub(ONES) & !word & HIGHS
        }
        while let Some(word) = self.word(at) {
            let quote = zero_bytes(word ^ u64::from_le_bytes([b'"'; 8]));
            let backslash = zero_bytes(word ^ u64::from_le_bytes([b'\\'; 8]));
            let control = word.wrapping_sub(u64::from_le_bytes([0x20; 8])) & !word & HIGHS;
            let stops = quote | backslash | control;
            if stops != 0 {
                // Little-endian order: the lowest flagged byte is the first stop; the flags
                // above it may be spurious (borrows), the lowest never is.
                return at + (stops.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        while let Some(&byte) = self.bytes().get(at) {
            if byte == b'"' || byte == b'\\' || byte < 0x20 {
                return at;
            }
            at += 1;
        }
        at
    }

    /// Reads a string whose opening quote was just consumed. Inlined into its two callers
    /// (keys and text values): with unescaping out of line, what is left is short. Plain
    /// `#[inline]` left it a call, whose saving and restoring of six registers per string
    /// cost about 3% of a parse.
    #[inline(always)]
    fn string(&mut self) -> Result<Text<'de>> {
        let start = self.pos;
        let stop = self.string_stop(start);
        match self.bytes().get(stop) {
            Some(b'"') => {
                // Sliced before `pos` moves: after that store, the compiler would load the
                // closing quote again to check that it ends a character.
                let text = self.text.get(start..stop);
                self.pos = stop + 1;
                text.map(Text::Borrowed).ok_or(Rejected)
            }
            Some(b'\\') => self.unescape(start, stop).map(Text::Unescaped),
            _ => Err(Rejected),
        }
    }

    /// Unescapes a string from `start`, with the first backslash at `stop`, into a string
    /// of its own, the one the caller keeps. (Unescaping into a buffer the reader kept cost
    /// one more allocation per body and a copy per string; nearly every run has an escaped
    /// `etag`.) It is sized once, for the string as written, which its text never exceeds.
    #[cold]
    #[inline(never)]
    fn unescape(&mut self, start: usize, mut stop: usize) -> Result<String> {
        let mut text = String::with_capacity(self.string_end(stop)? - start);
        let mut plain = start;
        loop {
            text.push_str(self.text.get(plain..stop).ok_or(Rejected)?);
            match self.bytes().get(stop) {
                Some(b'"') => {
                    self.pos = stop + 1;
                    return Ok(text);
                }
                Some(b'\\') => plain = self.escape(stop + 1, &mut text)?,
                _ => return Err(Rejected),
            }
            stop = self.string_stop(plain);
        }
    }

    /// Unescapes the escape whose backslash precedes `at` onto `text`; gives the position
    /// after it.
    fn escape(&self, at: usize, text: &mut String) -> Result<usize> {
        match self.bytes().get(at) {
            Some(b'u') => {
                let unit = self.hex4(at + 1)?;
                let (code, after) = match unit {
                    // A leading surrogate must be followed by an escaped trailing one (like
                    // serde_json reading a string; lone surrogates are no text).
                    0xD800..=0xDBFF => {
                        if self.bytes().get(at + 5..at + 7) != Some(b"\\u") {
                            return Err(Rejected);
                        }
                        let trailing = self.hex4(at + 7)?;
                        if !(0xDC00..=0xDFFF).contains(&trailing) {
                            return Err(Rejected);
                        }
                        let high = u32::from(unit - 0xD800) << 10;
                        (0x1_0000 + (high | u32::from(trailing - 0xDC00)), at + 11)
                    }
                    0xDC00..=0xDFFF => return Err(Rejected),
                    _ => (u32::from(unit), at + 5),
                };
                text.push(char::from_u32(code).ok_or(Rejected)?);
                Ok(after)
            }
            Some(&letter) => {
                text.push(one_letter_escape(letter).ok_or(Rejected)?);
                Ok(at + 1)
            }
            None => Err(Rejected),
        }
    }

    /// Four hex digits at `at`, as serde_json reads them after `\u`.
    fn hex4(&self, at: usize) -> Result<u16> {
        let digits = self.bytes().get(at..at + 4).ok_or(Rejected)?;
        digits.iter().try_fold(0u16, |unit, &digit| {
            let value = char::from(digit).to_digit(16).ok_or(Rejected)?;
            Ok(unit << 4 | value as u16)
        })
    }

    /// Steps over a string whose opening quote was just consumed, checking it as serde_json
    /// does for a value it ignores (a lone surrogate escape passes there).
    fn skip_string(&mut self) -> Result<()> {
        self.pos = self.string_end(self.pos)? + 1;
        Ok(())
    }

    /// The position of the closing quote of the string that `from` stands in, checked as
    /// [`Reader::skip_string`] checks it.
    fn string_end(&self, from: usize) -> Result<usize> {
        let mut at = from;
        loop {
            at = self.string_stop(at);
            match self.bytes().get(at) {
                Some(b'"') => return Ok(at),
                Some(b'\\') => match self.bytes().get(at + 1) {
                    Some(b'u') => {
                        self.hex4(at + 2)?;
                        at += 6;
                    }
                    Some(&letter) if one_letter_escape(letter).is_some() => at += 2,
                    _ => return Err(Rejected),
                },
                _ => return Err(Rejected),
            }
        }
    }

    /// The position after the run of digits from `at`, refusing an empty run.
    fn some_digits(&self, start: usize) -> Result<usize> {
        let mut at = start;
        while self.bytes().get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at > start {
            Ok(at)
        } else {
            Err(Rejected)
        }
    }

    /// Steps over a number with JSON's grammar, keeping its value when it is an integer that
    /// fits `u64`. Always inlined, like [`Reader::number`]: the numbers of a run are short
    /// (one to thirteen digits), and inlining both cut the instructions a parse spends on
    /// them by about a third.
    #[inline(always)]
    fn scan_number(&mut self) -> Result<ScannedNumber> {
        let start = self.pos;
        let negative = self.bytes().get(start) == Some(&b'-');
        let digits_start = start + usize::from(negative);
        // One pass over the integer digits: value and count together, a word at a time, then
        // one at a time (the last bytes of the body, and long numbers).
        let (mut value, count, _) = self.word_digits(digits_start);
        let mut at = digits_start + count;
        let mut overflow = false;
        while let Some(&byte) = self.bytes().get(at) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit)))
            {
                Some(next) => value = next,
                None => overflow = true,
            }
            at += 1;
        }
        let count = at - digits_start;
        // At least one digit, and one leading zero at most.
        if count == 0 || (count > 1 && self.bytes().get(digits_start) == Some(&b'0')) {
            return Err(Rejected);
        }
        let mut integer = (!overflow).then_some(value);
        if self.bytes().get(at) == Some(&b'.') {
            at = self.some_digits(at + 1)?;
            integer = None;
        }
        if let Some(b'e' | b'E') = self.bytes().get(at) {
            at += 1;
            if let Some(b'+' | b'-') = self.bytes().get(at) {
                at += 1;
            }
            at = self.some_digits(at)?;
            integer = None;
        }
        self.pos = at;
        Ok(ScannedNumber {
            start,
            negative,
            integer,
        })
    }

    /// Reads a number as serde_json does: `u64` when it fits, `i64` when negative and it
    /// fits, `f64` otherwise (and for `-0`).
    #[inline(always)]
    fn number(&mut self) -> Result<Number> {
        let scanned = self.scan_number()?;
        match (scanned.integer, scanned.negative) {
            (Some(value), false) => Ok(Number::U64(value)),
            (Some(value), true) => {
                let negated = (value as i64).wrapping_neg();
                Ok(if negated >= 0 {
                    Number::F64(-(value as f64))
                } else {
                    Number::I64(negated)
                })
            }
            // Fractions, exponents and integers beyond u64 are rare in runs: serde_json itself
            // converts them, so the value (and its range check) are exactly its own.
            (None, _) => {
                let text = self.text.get(scanned.start..self.pos).ok_or(Rejected)?;
                serde_json::from_str(text)
                    .map(Number::F64)
                    .map_err(|_| Rejected)
            }
        }
    }

    /// Reads the string at the next byte, a quote, into `visitor`.
    fn visit_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.pos += 1;
        match self.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Unescaped(text) => visitor.visit_string(text),
        }
    }

    /// The digits from `at` read a word at a time, two words at most (sixteen digits always
    /// fit `u64`): their value, how many there are, and the byte after them when it stood in
    /// the last word read. `None` for that byte where the words stopped first (sixteen digits,
    /// or fewer than eight bytes left), for the caller to go on a byte at a time.
    #[inline(always)]
    fn word_digits(&self, at: usize) -> (u64, usize, Option<u8>) {
        // Two steps written out rather than a loop: the loop cost about 1% of a parse.
        let Some(first) = self.word(at) else {
            return (0, 0, None);
        };
        let (high, count) = leading_digits(first);
        if count < 8 {
            return (high, count, Some((first >> (8 * count)) as u8));
        }
        let Some(second) = self.word(at + 8) else {
            return (high, 8, None);
        };
        let (low, more) = leading_digits(second);
        let value = high * POWERS_OF_TEN[more] + low;
        if more < 8 {
            return (value, 8 + more, Some((second >> (8 * more)) as u8));
        }
        (value, 16, None)
    }

    /// The integer at the next byte when it has fifteen digits at most and no sign, as the
    /// counts, durations and epoch times of a run do: its digits end within two words, on a
    /// byte that cannot go on with a fraction or an exponent. `None` (and nothing read) for
    /// any other value, which [`Reader::visit_number`] or serde then reads. Always inlined:
    /// the point is to read such a number without a call.
    #[inline(always)]
    pub(crate) fn short_integer(&mut self) -> Option<u64> {
        let first = self.peek()?;
        let (value, count, after) = self.word_digits(self.pos);
        let after = after?;
        let plain =
            count > 0 && after != b'.' && after | 0x20 != b'e' && (count == 1 || first != b'0');
        if plain {
            self.pos += count;
        }
        plain.then_some(value)
    }

    /// Whether the next value is a number (its first byte a digit or `-`).
    #[inline]
    pub(crate) fn at_number(&mut self) -> bool {
        self.peek()
            .is_some_and(|byte| byte == b'-' || byte.is_ascii_digit())
    }

    /// Reads the number at the next byte into `visitor`.
    pub(crate) fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        match self.number()? {
            Number::U64(value) => visitor.visit_u64(value),
            Number::I64(value) => visitor.visit_i64(value),
            Number::F64(value) => visitor.visit_f64(value),
        }
    }

    /// Reads the object at the next byte, `{`, into `visitor`.
    fn visit_object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.object(|entries| visitor.visit_map(entries))
    }

    /// Reads the array at the next byte, `[`, into `visitor`.
    fn visit_array<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.array(|elements| visitor.visit_seq(elements))
    }

    /// Enters an array or object.
    fn descend(&mut self) -> Result<()> {
        self.depth_left = self
            .depth_left
            .checked_sub(1)
            .filter(|&left| left > 0)
            .ok_or(Rejected)?;
        Ok(())
    }

    /// Expects the key of an object entry and its colon, for a value being skipped.
    fn skip_key(&mut self) -> Result<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }

    /// Steps over one value, checking it as serde_json's `IgnoredAny` does: with its own
    /// stack rather than recursion, and so with no nesting limit.
    fn skip_value(&mut self) -> Result<()> {
        self.skip_within(usize::MAX)
    }

    /// Steps over one value as reading it would, refusing it past the nesting limit.
    pub(crate) fn skip_nested_value(&mut self) -> Result<()> {
        self.skip_within(usize::from(self.depth_left).saturating_sub(1))
    }

    /// Steps over one value with at most `max_open` arrays and objects open at once.
    fn skip_within(&mut self, max_open: usize) -> Result<()> {
        let mut open = OpenBrackets::default();
        loop {
            match self.peek().ok_or(Rejected)? {
                b'"' => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'-' | b'0'..=b'9' => {
                    self.scan_number()?;
                }
                bracket @ (b'[' | b'{') => {
                    // An empty one counts too: reading it enters it.
                    if open.len() >= max_open {
                        return Err(Rejected);
                    }
                    self.pos += 1;
                    // `]` and `}` stand two code points after `[` and `{`.
                    let close = bracket + 2;
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        open.push(bracket == b'{');
                        if bracket == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return Err(Rejected),
            }
            // A value is complete: close what it completes, or step to the next element.
            loop {
                let close = match open.last() {
                    None => return Ok(()),
                    Some(true) => b'}',
                    Some(false) => b']',
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(byte) if byte == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(Rejected),
                }
            }
        }
    }
}

/// Reading straight into the crate's types, without serde's visitors: what
/// [`Fill::fill_direct`] and the delivery reader use. Each reads exactly what the
/// `deserialize_*` method it stands for reads, and refuses the same.
impl<'de> Reader<'de> {
    /// Consumes a `null` (`true`), or leaves any other value unread (`false`): how
    /// `deserialize_option` and the direct fills tell `None` from `Some`.
    #[inline]
    pub(crate) fn null(&mut self) -> Result<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reads the object at the next byte (anything else is refused) through `read`, which is
    /// given its fields; as `deserialize_map`.
    #[inline]
    pub(crate) fn object<T>(
        &mut self,
        read: impl FnOnce(Entries<'_, 'de>) -> Result<T>,
    ) -> Result<T> {
        self.enclosed(b'{', |reader| {
            read(Entries {
                reader,
                first: true,
            })
        })
    }

    /// Reads the array at the next byte (anything else is refused) through `read`, which is
    /// given its elements; as `deserialize_seq`.
    #[inline]
    pub(crate) fn array<T>(
        &mut self,
        read: impl FnOnce(Elements<'_, 'de>) -> Result<T>,
    ) -> Result<T> {
        self.enclosed(b'[', |reader| {
            read(Elements {
                reader,
                first: true,
            })
        })
    }

    /// Reads what stands between `open` (`{` or `[`) and its closing bracket with `read`,
    /// one level deeper.
    #[inline]
    fn enclosed<T>(&mut self, open: u8, read: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.expect(open)?;
        self.descend()?;
        let value = read(self)?;
        self.depth_left += 1;
        // `]` and `}` stand two code points after `[` and `{`.
        self.expect(open + 2)?;
        Ok(value)
    }

    /// Reads the string at the next byte (anything else is refused); as
    /// `deserialize_string` into a `String`.
    /// Always inlined, like the `Direct` impls that call it (see there).
    #[inline(always)]
    pub(crate) fn owned_string(&mut self) -> Result<String> {
        self.expect(b'"')?;
        Ok(self.string()?.into_cow().into_owned())
    }

    /// A string, borrowed from a table when it is a well-known value (see `well_known`).
    /// Always inlined, like `owned_string`.
    #[inline(always)]
    pub(crate) fn well_known_string(&mut self) -> Result<Cow<'static, str>> {
        self.expect(b'"')?;
        Ok(crate::json::well_known::text(self.string()?.into_cow()))
    }
}

/// `deserialize_*` methods that read a value only when its first byte matches, and refuse
/// anything else before the visitor sees it.
macro_rules! typed {
    ($($method:ident: $first:pat => $read:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.peek() {
                Some($first) => self.$read(visitor),
                _ => Err(Rejected),
            }
        }
    )*};
}

/// `deserialize_*` methods the reader refuses.
macro_rules! refused {
    ($($method:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
            Err(Rejected)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Rejected;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let byte = self.peek().ok_or(Rejected)?;
        if byte == b'"' {
            self.visit_string(visitor)
        } else if byte == b'-' || byte.is_ascii_digit() {
            self.visit_number(visitor)
        } else if byte == b'{' {
            self.visit_object(visitor)
        } else if byte == b'[' {
            self.visit_array(visitor)
        } else if byte == b'n' {
            self.literal(b"null")?;
            visitor.visit_unit()
        } else if byte == b't' {
            self.literal(b"true")?;
            visitor.visit_bool(true)
        } else if byte == b'f' {
            self.literal(b"false")?;
            visitor.visit_bool(false)
        } else {
            Err(Rejected)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.null()? {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    /// Unit variants, written as strings; the crate's wire objects hold no other enum.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.expect(b'"')?;
        match self.string()? {
            Text::Borrowed(text) => visitor.visit_enum(text.into_deserializer()),
            Text::Unescaped(text) => visitor.visit_enum(text.into_deserializer()),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    /// serde_json reads a struct from an object or an array.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.peek() {
            Some(b'{' | b'[') => self.deserialize_any(visitor),
            _ => Err(Rejected),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    typed! {
        // As serde_json: each type is read from its own JSON type only.
        deserialize_bool: b't' | b'f' => deserialize_any,
        deserialize_i8: b'-' | b'0'..=b'9' => visit_number,
        deserialize_i16: b'-' | b'0'..=b'9' => visit_number,
        deserialize_i32: b'-' | b'0'..=b'9' => visit_number,
        deserialize_i64: b'-' | b'0'..=b'9' => visit_number,
        deserialize_u8: b'-' | b'0'..=b'9' => visit_number,
        deserialize_u16: b'-' | b'0'..=b'9' => visit_number,
        deserialize_u32: b'-' | b'0'..=b'9' => visit_number,
        deserialize_u64: b'-' | b'0'..=b'9' => visit_number,
        deserialize_f64: b'-' | b'0'..=b'9' => visit_number,
        deserialize_char: b'"' => visit_string,
        deserialize_str: b'"' => visit_string,
        deserialize_string: b'"' => visit_string,
        deserialize_identifier: b'"' => visit_string,
        deserialize_unit: b'n' => deserialize_any,
        deserialize_seq: b'[' => visit_array,
        deserialize_map: b'{' => visit_object,
    }

    refused! {
        // No type the crate reads asks for these, and serde_json reads them in ways of their
        // own this reader does not reproduce: 128-bit integers in full, byte strings with
        // lone surrogates, `f32` rounded once from the decimal text.
        deserialize_i128, deserialize_u128, deserialize_f32, deserialize_bytes,
        deserialize_byte_buf,
    }
}

/// Reads an object's key, as serde_json's own key reader does: always as a string (even for
/// a visitor that ignores it, so a lone surrogate escape is refused there too).
struct KeyReader<'a, 'de>(&'a mut Reader<'de>);

impl<'de> de::Deserializer<'de> for KeyReader<'_, 'de> {
    type Error = Rejected;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.peek() {
            Some(b'"') => self.0.visit_string(visitor),
            _ => Err(Rejected),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    refused! {
        // serde_json reads numbers and booleans out of quoted keys (for maps keyed by them);
        // no type the crate reads has such keys.
        deserialize_bool, deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64,
        deserialize_i128, deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64,
        deserialize_u128, deserialize_f32, deserialize_f64, deserialize_bytes,
        deserialize_byte_buf,
    }

    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// The entries of an object being read: through serde's [`MapAccess`], or straight as the
/// crate's [`Fields`].
pub(crate) struct Entries<'a, 'de> {
    reader: &'a mut Reader<'de>,
    /// Whether no key has been read yet, for serde's `MapAccess`. Through [`Fields`] the
    /// caller says which key it steps to, and the flag is not kept.
    first: bool,
}

impl Entries<'_, '_> {
    /// Steps to the first key's opening quote (`true`), or stops before the closing brace.
    #[inline]
    fn first_entry(&mut self) -> Result<bool> {
        match self.reader.peek_line() {
            Some(b'"') => Ok(true),
            Some(b'}') => Ok(false),
            _ => Err(Rejected),
        }
    }

    /// Steps over the comma after a value to the next key's opening quote (`true`), or stops
    /// before the closing brace. Always inlined (into `next_key`, above all): as a call it
    /// cost about 4% of a parse.
    #[inline(always)]
    fn next_entry(&mut self) -> Result<bool> {
        // Comparisons in the order of their frequency rather than a `match`, which compiles to
        // an indirect jump (see `peek_past_whitespace`).
        let byte = self.reader.peek_line();
        if byte == Some(b',') {
            self.reader.pos += 1;
            if self.reader.peek_line() == Some(b'"') {
                Ok(true)
            } else {
                Err(Rejected)
            }
        } else if byte == Some(b'}') {
            Ok(false)
        } else {
            Err(Rejected)
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Rejected;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let more = if self.first {
            self.first = false;
            self.first_entry()?
        } else {
            self.next_entry()?
        };
        if !more {
            return Ok(None);
        }
        seed.deserialize(KeyReader(&mut *self.reader)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.reader.expect(b':')?;
        seed.deserialize(&mut *self.reader)
    }
}

impl<'de> Entries<'_, 'de> {
    /// The reader, standing at the value of the key just read, for a caller that takes the
    /// value's text as well (see [`Reader::value_start`]).
    pub(crate) fn value_reader(&mut self) -> Result<&mut Reader<'de>> {
        self.reader.expect(b':')?;
        Ok(self.reader)
    }
}

impl<'de> Fields<'de> for Entries<'_, 'de> {
    type Error = Rejected;

    /// Always inlined into each object's field loop, like `next_key`'s step: as a call it
    /// cost about 0.7% of a parse.
    #[inline(always)]
    fn first_key(&mut self) -> Result<bool> {
        self.first_entry()
    }

    fn next_key(&mut self) -> Result<bool> {
        self.next_entry()
    }

    /// Always inlined: with the name a constant, the comparison is a few instructions.
    #[inline(always)]
    fn key_is(&mut self, quoted: &'static str) -> bool {
        let at = self.reader.pos;
        let hit = self.reader.bytes().get(at..at + quoted.len()) == Some(quoted.as_bytes());
        if hit {
            self.reader.pos += quoted.len();
        }
        hit
    }

    fn key(&mut self) -> Result<Cow<'de, str>> {
        self.reader.pos += 1;
        // As `Key` reads it through serde: borrowed unless it had escapes.
        Ok(self.reader.string()?.into_cow())
    }

    fn fill_value<T: Fill<'de>>(&mut self, place: &mut T) -> Result<bool> {
        self.reader.expect(b':')?;
        T::fill_direct(place, self.reader)
    }

    fn value<T: Deserialize<'de>>(&mut self) -> Result<T> {
        self.reader.expect(b':')?;
        T::deserialize(&mut *self.reader)
    }

    fn value_text(&mut self) -> Result<Option<&'de str>> {
        self.reader.expect(b':')?;
        let start = self.reader.value_start();
        self.reader.skip_nested_value()?;
        Ok(Some(self.reader.text_from(start)))
    }

    fn fill_or_value<T: Fill<'de>>(&mut self, place: &mut T, open: u8) -> Result<Option<Value>> {
        self.reader.expect(b':')?;
        if self.reader.peek() == Some(open) {
            T::fill_direct(place, self.reader).map(|_| None)
        } else {
            Value::deserialize(&mut *self.reader).map(Some)
        }
    }
}

/// The elements of an array being read.
pub(crate) struct Elements<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
}

impl<'de> Elements<'_, 'de> {
    /// Steps to the next element (`true`), or stops before the closing bracket. Always inlined,
    /// like `Entries::next_entry`.
    #[inline(always)]
    fn next_element(&mut self) -> Result<bool> {
        let byte = self.reader.peek_line();
        if byte == Some(b',') && !self.first {
            self.reader.pos += 1;
            // `[1,]` is no JSON.
            if self.reader.peek_line() == Some(b']') {
                return Err(Rejected);
            }
        } else if byte == Some(b']') {
            return Ok(false);
        } else if byte.is_none() || !self.first {
            return Err(Rejected);
        }
        self.first = false;
        Ok(true)
    }

    /// The reader, standing at the next element, or `None` at the end of the array.
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<&mut Reader<'de>>> {
        Ok(self.next_element()?.then_some(&mut *self.reader))
    }
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Rejected;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.next_element()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_steps_over_deep_values_of_both_kinds() {
        let deep = format!("{}1{}", r#"{"a":["#.repeat(200), "]}".repeat(200));
        let mut reader = Reader::new(&deep);
        reader.skip_value().unwrap();
        assert_eq!(reader.peek(), None);
        let mut limited = Reader::new(&deep);
        assert!(limited.skip_nested_value().is_err());
        let wrong = deep.replacen("]}", "}]", 1);
        assert!(Reader::new(&wrong).skip_value().is_err());
    }
}
