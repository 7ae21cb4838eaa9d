//! deb822 paragraphs, read through `deb822-fast`'s borrowed parser.

use std::borrow::Cow;

use deb822_fast::borrowed::{BorrowedParagraph, BorrowedParagraphIter, iter_paragraphs_borrowed};

use crate::Error;

/// The fields of one paragraph; multi-line values are joined with `\n`.
pub struct Fields<'a> {
    paragraph: BorrowedParagraph<'a>,
}

impl<'a> Fields<'a> {
    /// The value of `name` (case-sensitive as written by the archive), if present.
    pub fn get(&self, name: &str) -> Option<String> {
        self.paragraph.get_field(name).map(|field| field.join())
    }

    /// Iterates `(name, value)`; a multi-line value is joined with `\n` (the only case that
    /// allocates, so hot paths stay lean).
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Cow<'a, str>)> + '_ {
        self.paragraph
            .iter()
            .map(|field| match field.as_single_line() {
                Some(line) => (field.name(), Cow::Borrowed(line)),
                None => (field.name(), Cow::Owned(field.join())),
            })
    }
}

/// Iterates the paragraphs of `text`; `name` names the file in errors.
pub fn paragraphs<'a>(
    name: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Result<Fields<'a>, Error>> + 'a {
    let iter: BorrowedParagraphIter<'a> = iter_paragraphs_borrowed(text);
    iter.enumerate().map(move |(index, result)| {
        result
            .map(|paragraph| Fields { paragraph })
            .map_err(|err| Error::Deb822 {
                file: name.to_owned(),
                paragraph: index + 1,
                reason: err.to_string(),
            })
    })
}
