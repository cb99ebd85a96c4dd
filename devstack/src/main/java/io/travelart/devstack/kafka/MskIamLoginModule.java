package io.travelart.devstack.kafka;

import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.spi.LoginModule;
import java.util.Map;

/**
 * The broker's side of Amazon MSK's IAM login ({@code AWS_MSK_IAM}) on the secured embedded broker: named in the
 * listener's JAAS text, it makes {@link MskIamSaslServer} known to the JDK's SASL framework, as Kafka's own login modules
 * do for theirs. The access keys it accepts are options of the same JAAS text ({@link MskIamSaslServer.Keys}).
 */
public final class MskIamLoginModule implements LoginModule {

    static {
        MskIamSaslServer.Factory.register();
    }

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
    }

    @Override
    public boolean login() {
        return true;
    }

    @Override
    public boolean commit() {
        return true;
    }

    @Override
    public boolean abort() {
        return false;
    }

    @Override
    public boolean logout() {
        return true;
    }
}
