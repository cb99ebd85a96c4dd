package io.travelart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.config.Settings;
import io.travelart.core.images.ImageProvider;
import io.travelart.core.openai.ModelLifecycle;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.image.app.ImageWorkerConfig;
import io.travelart.prompt.openai.OpenAiModerator;
import io.travelart.prompt.app.PromptWorkerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Asks the provider about each model the configuration names (chat, image, moderation): whether it is "
                + "served, its shutdown date and the days left. Exits 1 when one is gone or past its date, for cron or CI.")
final class ModelsCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--json", description = "One JSON object per model instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Settings settings = connection.settings();
        OpenAiConfig openai = OpenAiConfig.from(settings);
        Map<String, String> models = new LinkedHashMap<>();
        models.put("TRAVELART_CHAT_MODEL", settings.string("TRAVELART_CHAT_MODEL", PromptWorkerConfig.DEFAULT_CHAT_MODEL));
        // A ComfyUI workflow's model is a file on the GPU server, which OpenAI's models endpoint knows nothing of.
        boolean openAiImages = ImageProvider.from(settings) == ImageProvider.OPENAI;
        if (openAiImages) {
            models.put("TRAVELART_IMAGE_MODEL", settings.string("TRAVELART_IMAGE_MODEL", ImageWorkerConfig.DEFAULT_IMAGE_MODEL));
        }
        if (settings.bool("TRAVELART_MODERATION", true)) {
            models.put("TRAVELART_MODERATION_MODEL", settings.string("TRAVELART_MODERATION_MODEL", OpenAiModerator.DEFAULT_MODEL));
        }
        List<ModelLifecycle.Status> statuses;
        var client = OpenAiClients.create(openai, 1);
        try {
            statuses = new ModelLifecycle(client, models, ModelLifecycle.Config.from(settings), Clock.systemUTC(),
                    new SimpleMeterRegistry()).check();
        } finally {
            client.close();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            statuses.forEach(s -> out.println(json(s)));
        } else {
            out.printf("%-27s %-24s %-13s %-11s %-9s %s%n", "SETTING", "MODEL", "STATE", "SHUTDOWN", "DAYS LEFT", "REPLACEMENT");
            for (ModelLifecycle.Status s : statuses) {
                out.printf("%-27s %-24s %-13s %-11s %-9s %s%n", s.setting(), s.model(), state(s),
                        s.shutdownDate().map(Object::toString).orElse("-"), s.daysLeft().map(Object::toString).orElse("-"),
                        s.replacement().orElse("-"));
            }
            statuses.stream().filter(s -> s.state() != ModelLifecycle.State.SERVED).forEach(s -> out.println(s.describe()));
            if (!openAiImages) {
                out.println("TRAVELART_IMAGE_PROVIDER=comfyui: the image model is the workflow's, on the ComfyUI server; not checked here");
            }
        }
        out.flush();
        return statuses.stream().anyMatch(ModelLifecycle.Status::unusable) ? 1 : 0;
    }

    private static String state(ModelLifecycle.Status s) {
        return switch (s.state()) {
            case SERVED -> "served";
            case SHUTTING_DOWN -> "shutting down";
            case GONE -> "gone";
            case KEY_REFUSED -> "key refused";
            case NO_ENDPOINT -> "unknown";
            case UNREACHABLE -> "unreachable";
        };
    }

    private static String json(ModelLifecycle.Status s) {
        ObjectNode node = JSON.createObjectNode();
        node.put("setting", s.setting());
        node.put("model", s.model());
        node.put("state", state(s).replace(' ', '_'));
        node.put("served", s.state() == ModelLifecycle.State.SERVED || s.state() == ModelLifecycle.State.SHUTTING_DOWN);
        node.put("shutdownDate", s.shutdownDate().map(Object::toString).orElse(null));
        if (s.daysLeft().isPresent()) {
            node.put("daysLeft", s.daysLeft().get());
        } else {
            node.putNull("daysLeft");
        }
        node.put("replacement", s.replacement().orElse(null));
        node.put("detail", s.describe());
        return node.toString();
    }
}
