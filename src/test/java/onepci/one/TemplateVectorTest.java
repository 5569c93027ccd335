package onepci.one;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import onepci.testing.OneTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateVectorTest {

  @Test
  void printsTheStockLayout() {
    TemplateVector v = new TemplateVector.Builder("PCI").add("A", "1").add("B", "two words").build();

    assertThat(v.format()).isEqualTo("PCI = [\n A = \"1\" ,\n B = \"two words\" \n]\n");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "plain                | plain",
        "say \"hi\"           | say \\\"hi\\\"",
        "ends in \\           | 'ends in '",
        "ends in \\\\         | 'ends in '",
        "a \\ inside          | a \\ inside",
        "a ]]> b              | a ]] > b",
      })
  void escapesForOnedsParser(String value, String escaped) {
    assertThat(TemplateEscaper.escape(value)).isEqualTo(escaped);
  }

  @Test
  void whatIsEscapedParsesBackToTheValueOrItsSafeForm() {
    String text = new TemplateVector.Builder("PCI").add("Q", "x \"y\" z").add("S", "C:\\path\\").add("C", "]]>").build().format();

    Map<String, String> v = OneTemplate.vectors(text, "PCI").get(0);

    assertThat(v).containsEntry("Q", "x \"y\" z").containsEntry("S", "C:\\path").containsEntry("C", "]] >");
  }
}
