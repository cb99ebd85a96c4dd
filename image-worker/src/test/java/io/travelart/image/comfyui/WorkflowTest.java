package io.travelart.image.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import io.travelart.core.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkflowTest {

    @Test
    void theBuiltInWorkflowIsFilledWithTypedValuesAndTheRequestIdInsideText() {
        Workflow workflow = ComfyUiConfig.builtIn();

        JsonNode graph = workflow.fill(Map.of("prompt", "Kyoto in autumn rain, \"quoted\" {{not a placeholder}}",
                "negative_prompt", "blurry", "width", 1216, "height", 832, "seed", 9_007_199_254_740_991L, "request_id", "r-1"));

        assertThat(graph.path("6").path("inputs").path("text").asText()).isEqualTo("Kyoto in autumn rain, \"quoted\" {{not a placeholder}}");
        assertThat(graph.path("7").path("inputs").path("text").asText()).isEqualTo("blurry");
        assertThat(graph.path("5").path("inputs").path("width").isIntegralNumber()).isTrue();
        assertThat(graph.path("5").path("inputs").path("width").asInt()).isEqualTo(1216);
        assertThat(graph.path("5").path("inputs").path("height").asInt()).isEqualTo(832);
        assertThat(graph.path("3").path("inputs").path("seed").asLong()).isEqualTo(9_007_199_254_740_991L);
        assertThat(graph.path("9").path("inputs").path("filename_prefix").asText()).isEqualTo("travelart/r-1");
        // links between nodes stay as they are
        assertThat(graph.path("3").path("inputs").path("positive").toString()).isEqualTo("[\"6\",0]");
        assertThat(workflow.modelName()).contains("sd_xl_base_1.0");
        assertThat(workflow.uses(Workflow.SEED)).isTrue();
        // the template itself is not changed by filling it
        assertThat(workflow.fill(Map.of("prompt", "b", "negative_prompt", "", "width", 8, "height", 8, "seed", 1, "request_id", "x"))
                .path("6").path("inputs").path("text").asText()).isEqualTo("b");
    }

    @Test
    void aWorkflowThatCannotBeFilledIsRefusedAtStartWithTheReason() {
        assertThatThrownBy(() -> Workflow.parse("{\"1\": {\"class_type\": \"SaveImage\", \"inputs\": {}}}", "w.json"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("w.json has no {{prompt}} placeholder");
        assertThatThrownBy(() -> Workflow.parse("{\"nodes\": [], \"links\": []}", "ui.json"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("UI format").hasMessageContaining("Export (API)");
        assertThatThrownBy(() -> Workflow.parse("{\"1\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"{{promt}}\"}}}", "typo.json"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("node 1 input text has the unknown placeholder {{promt}}");
        assertThatThrownBy(() -> Workflow.parse("{\"1\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"{{prompt}} at {{width}}\"}}}", "n.json"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("{{width}} is a number, so it must be the whole value");
        assertThatThrownBy(() -> Workflow.parse("not json", "x.json")).isInstanceOf(ConfigException.class).hasMessageContaining("x.json is not JSON");
        assertThatThrownBy(() -> Workflow.parse("{\"1\": 3}", "y.json")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("node 1 is not a ComfyUI API-format node");
    }
}
