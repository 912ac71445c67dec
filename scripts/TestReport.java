import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * After a Maven run (scripts/test): the slowest test classes and every skipped test by name
 * with its reason, read from the Surefire and Failsafe reports of each module, so that a green
 * run never hides a skip and the suite's time budget shows where it goes.
 * Run as a source file: {@code java scripts/TestReport.java [repository root]}.
 */
public class TestReport {

	record Suite(String module, String reports, String name, double seconds, int tests) {
	}

	public static void main(String[] args) throws Exception {
		Path root = Path.of((args.length > 0) ? args[0] : ".");
		List<Suite> suites = new ArrayList<>();
		List<String> skips = new ArrayList<>();
		List<Path> reports;
		try (Stream<Path> files = Files.walk(root, 4)) {
			reports = files.filter((path) -> path.getFileName().toString().matches("TEST-.*\\.xml"))
				.filter((path) -> path.getParent().getFileName().toString().matches("(surefire|failsafe)-reports.*"))
				.sorted()
				.toList();
		}
		DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
		for (Path report : reports) {
			Element suite = factory.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
			String module = report.getParent().getParent().getParent().getFileName().toString();
			String kind = report.getParent().getFileName().toString();
			String name = suite.getAttribute("name");
			suites.add(new Suite(module, kind, name.substring(name.lastIndexOf('.') + 1),
					Double.parseDouble(suite.getAttribute("time").replace(",", "")),
					Integer.parseInt(suite.getAttribute("tests"))));
			NodeList cases = suite.getElementsByTagName("testcase");
			for (int i = 0; i < cases.getLength(); i++) {
				Element test = (Element) cases.item(i);
				NodeList skipped = test.getElementsByTagName("skipped");
				if (skipped.getLength() > 0) {
					Element skip = (Element) skipped.item(0);
					String reason = skip.hasAttribute("message") ? skip.getAttribute("message") : skip.getTextContent();
					skips.add(String.format("SKIPPED %s#%s (%s/%s): %s", name.substring(name.lastIndexOf('.') + 1),
							test.getAttribute("name"), module, kind, reason.isBlank() ? "no reason given" : reason.strip()));
				}
			}
		}
		double total = suites.stream().mapToDouble(Suite::seconds).sum();
		System.out.printf("%nTest classes: %d, %.0f s in all (integration tests run two classes at a time)%n",
				suites.size(), total);
		System.out.println("The 10 slowest:");
		suites.stream()
			.sorted(Comparator.comparingDouble(Suite::seconds).reversed())
			.limit(10)
			.forEach((suite) -> System.out.printf("  %7.1f s  %-32s %3d tests  %s/%s%n", suite.seconds(), suite.name(),
					suite.tests(), suite.module(), suite.reports()));
		System.out.println("Skipped tests: " + skips.size());
		skips.forEach((skip) -> System.out.println("  " + skip));
	}

}
