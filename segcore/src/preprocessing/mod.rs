//! Column transforms fitted on data (standard scaling, ...).
