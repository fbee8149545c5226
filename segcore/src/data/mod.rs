//! Customer data model: customer table, transaction log, CSV reading.
