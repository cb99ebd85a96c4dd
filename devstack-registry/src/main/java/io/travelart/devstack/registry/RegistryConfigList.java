package io.travelart.devstack.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;

import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;
import java.util.List;

/**
 * Supplies the one bean of apicurio-common-app-components-config-index, which is excluded because
 * its Quarkus deployment half is not on Maven Central. No dynamic config properties: an empty list.
 */
@ApplicationScoped
public class RegistryConfigList {

    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
