package io.travelart.core;

import io.travelart.core.registry.RegistryException;
import io.travelart.core.registry.SchemaIds;
import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A schema registry in memory, for tests of what lies above the serde; subjects can be made unreachable. */
public final class InMemorySchemas implements SchemaIds {

    private final List<Schema> schemas = new ArrayList<>();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();

    /** From now on, asking for an id under {@code subject} fails as a registry that cannot be reached does. */
    public void makeUnreachable(String subject) {
        unreachable.add(subject);
    }

    public void makeReachable(String subject) {
        unreachable.remove(subject);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        if (unreachable.contains(subject)) {
            throw new RegistryException("registry unreachable for " + subject, null);
        }
        int id = schemas.indexOf(schema);
        if (id < 0) {
            schemas.add(schema);
            id = schemas.size() - 1;
        }
        return id + 1;
    }

    @Override
    public int lookup(String subject, Schema schema) {
        return register(subject, schema);
    }

    @Override
    public synchronized Schema schemaById(int id) {
        if (id < 1 || id > schemas.size()) {
            throw new RegistryException(404, 40403, "schema " + id + " not found");
        }
        return schemas.get(id - 1);
    }
}
