package io.travelart.core.registry;

import org.apache.avro.Schema;

/** What the serde asks of a schema registry: ids for schemas under a subject, and schemas for ids. */
public interface SchemaIds {

    /** Registers the schema under the subject (or finds it if already there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of a schema already registered under the subject; 404 as a {@link RegistryException} if not. */
    int lookup(String subject, Schema schema);

    Schema schemaById(int id);
}
