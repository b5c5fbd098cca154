//! Detect a document's root, namespace and declared ST.96 version without a full parse.
