//! The store's transaction: sqlx's, with `commit` and `rollback` failing as [`StoreError`] like
//! every other store call, so callers need no conversion of their own.

use crate::StoreError;
use std::ops::{Deref, DerefMut};

/// A transaction on either backend, from [`crate::Db::begin_write`]. Dereferences to its
/// connection, so `&mut *transaction` runs queries in it; dropped without [`Transaction::commit`],
/// it rolls back.
#[derive(Debug)]
pub struct Transaction(sqlx::Transaction<'static, sqlx::Any>);

impl Transaction {
    pub(crate) fn new(inner: sqlx::Transaction<'static, sqlx::Any>) -> Self {
        Self(inner)
    }

    /// Makes the transaction's changes permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.0.commit().await?;
        Ok(())
    }

    /// Discards the transaction's changes (as dropping it does, but waiting for the database).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.0.rollback().await?;
        Ok(())
    }
}

impl Deref for Transaction {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
