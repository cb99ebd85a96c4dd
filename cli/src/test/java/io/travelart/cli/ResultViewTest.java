package io.travelart.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResultViewTest {

    @Test
    void columnsLineUpWideAndNarrowCharacters() {
        assertThat(ResultView.column("겨울밤의 파리", 16)).isEqualTo("겨울밤의 파리" + " ".repeat(3));
        assertThat(ResultView.column("Kyoto", 16)).isEqualTo("Kyoto" + " ".repeat(11));
        assertThat(ResultView.column("Kyoto in autumn rain", 10)).isEqualTo("Kyoto in …");
        assertThat(ResultView.column("서울의 봄 벚꽃길", 10)).isEqualTo("서울의 봄…");
    }
}
