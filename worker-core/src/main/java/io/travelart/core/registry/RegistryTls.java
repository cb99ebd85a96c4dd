package io.travelart.core.registry;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.RegistryConfig;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Optional;

/**
 * The TLS of the registry client alone: its trust store (which certificate authorities it accepts for the registry)
 * and its client certificate, from {@code SCHEMA_REGISTRY_SSL_*}, without touching the JVM-wide {@code javax.net.ssl.*}
 * that OpenAI and S3 calls rely on. Host names are still checked against the registry's certificate.
 */
final class RegistryTls {

    private RegistryTls() {
    }

    /** The context for the registry's connections, or empty for the JVM's default. */
    static Optional<SSLContext> context(RegistryConfig.Tls tls) {
        if (tls.isDefault()) {
            return Optional.empty();
        }
        try {
            TrustManagerFactory trust = null;
            if (tls.trustStore().isPresent()) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(tls.trustStore().get(), "TRUSTSTORE"));
            }
            KeyManagerFactory keys = null;
            if (tls.keyStore().isPresent()) {
                RegistryConfig.Store store = tls.keyStore().get();
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPassword = tls.keyPassword().or(store::password).orElse("");
                keys.init(load(store, "KEYSTORE"), keyPassword.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return Optional.of(context);
        } catch (GeneralSecurityException e) {
            throw new ConfigException("SCHEMA_REGISTRY_SSL_*: the registry's TLS cannot be set up: " + e.getMessage());
        }
    }

    private static KeyStore load(RegistryConfig.Store store, String kind) throws GeneralSecurityException {
        String name = "SCHEMA_REGISTRY_SSL_" + kind + "_LOCATION=" + store.location();
        if (store.type().equalsIgnoreCase("PEM")) {
            if (!kind.equals("TRUSTSTORE")) {
                throw new ConfigException("SCHEMA_REGISTRY_SSL_KEYSTORE_TYPE=PEM is not accepted: expected PKCS12 or JKS "
                        + "(a PEM trust store is, as providers such as Aiven hand out their CA)");
            }
            return certificates(store, name);
        }
        KeyStore keyStore;
        try {
            keyStore = KeyStore.getInstance(store.type());
        } catch (GeneralSecurityException e) {
            throw new ConfigException("SCHEMA_REGISTRY_SSL_" + kind + "_TYPE=" + store.type() + " is not accepted: expected PKCS12 or JKS"
                    + (kind.equals("TRUSTSTORE") ? " or PEM" : ""));
        }
        try (InputStream in = Files.newInputStream(store.location())) {
            keyStore.load(in, store.password().map(String::toCharArray).orElse(null));
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot be read (" + e.getMessage() + "; is the password in SCHEMA_REGISTRY_SSL_"
                    + kind + "_PASSWORD right?)");
        }
        return keyStore;
    }

    /** The certificates of a PEM file (one or more {@code BEGIN CERTIFICATE} blocks) as a trust store. */
    private static KeyStore certificates(RegistryConfig.Store store, String name) throws GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store.location())) {
            trust.load(null, null);
            int n = 0;
            for (java.security.cert.Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + n++, certificate);
            }
            if (n == 0) {
                throw new ConfigException(name + ": holds no certificate");
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            throw new ConfigException(name + ": cannot be read as PEM certificates (" + e.getMessage() + ")");
        }
        return trust;
    }
}
