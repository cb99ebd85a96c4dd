package io.travelart.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A worker's /metrics as a test reads it: the whole text, or the sum of a Prometheus series over the lines that carry a label. */
final class MetricsScrape {

    private MetricsScrape() {
    }

    /** @param managementUrl e.g. {@code LocalPipeline.managementUrls().get("image-worker")} */
    static double sum(String managementUrl, String name, String label) throws Exception {
        return text(managementUrl).lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The worker's whole /metrics answer, in the Prometheus text format. */
    static String text(String managementUrl) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(managementUrl + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
