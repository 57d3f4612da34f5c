package dev.ephemeral.lambda.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md is the front door and docs/ holds the reference: every relative link and #anchor in
 * them resolves, every page of docs/ is reachable from the README, and the README stays short.
 */
class DocLinksTest {

  private static final Path README = Path.of("README.md");
  private static final Path DOCS = Path.of("docs");

  /** The issue that split the README asked for a front door of about this size. */
  private static final int README_MAX_LINES = 300;

  /** kubectl apply or delete of a file or kustomization of this repository. */
  private static final Pattern KUBECTL_FILE =
      Pattern.compile(
          "kubectl (?:apply|delete)[^`\\n]*? -[fk] ((?:examples|deploy|crds|charts)/[^\\s`]*)");

  private final MarkdownLinks markdown = new MarkdownLinks(Path.of(""));

  @Test
  void everyRelativeLinkAndAnchorOfTheReadmeAndTheDocsResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path file : pages()) {
      for (MarkdownLinks.Link link : markdown.links(file)) {
        checked++;
        String problem = markdown.problem(link);
        if (!problem.isEmpty()) {
          broken.add(link + " -> " + problem);
        }
      }
    }
    assertThat(checked).as("links checked").isGreaterThan(50);
    assertThat(broken).as("broken links").isEmpty();
  }

  @Test
  void everyDocsPageIsLinkedFromTheReadme() throws IOException {
    List<Path> linked =
        markdown.links(README).stream()
            .map(link -> link.target().split("#", 2)[0])
            .filter(target -> !target.isEmpty())
            .map(target -> Path.of(target).normalize())
            .toList();
    assertThat(linked).containsAll(docsPages());
  }

  /** What a reader is told to apply from this repository (examples/, deploy/...) is there. */
  @Test
  void theFilesTheDocsTellKubectlToApplyExist() throws IOException {
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (Path file : pages()) {
      Matcher m = KUBECTL_FILE.matcher(Files.readString(file));
      while (m.find()) {
        checked++;
        if (!Files.exists(Path.of(m.group(1)))) {
          missing.add(file + ": " + m.group());
        }
      }
    }
    assertThat(checked).as("kubectl commands checked").isGreaterThanOrEqualTo(5);
    assertThat(missing).isEmpty();
  }

  @Test
  void theReadmeStaysAFrontDoor() throws IOException {
    assertThat(Files.readAllLines(README)).hasSizeLessThanOrEqualTo(README_MAX_LINES);
  }

  /** The check itself fails on what it is for: a missing file, a missing heading. */
  @Test
  void aMissingFileOrHeadingIsReported(@TempDir Path root) throws IOException {
    Files.writeString(
        root.resolve("a.md"),
        """
        # Page A
        ## Inputs from the cluster (`payloadFrom`)
        ## Notes
        ## Notes
        See [b](b.md), [inputs](#inputs-from-the-cluster-payloadfrom), [notes](#notes-1),
        [gone](missing.md), [no heading](#nowhere), [up](../outside.md), [web](https://example.com).
        ```
        [in code](nothing.md)
        ```
        and `[in a span](nothing.md)`.
        """);
    Files.writeString(root.resolve("b.md"), "# B\n");
    var links = new MarkdownLinks(root);

    List<String> problems =
        links.links(root.resolve("a.md")).stream()
            .map(link -> link.target() + ": " + links.problem(link))
            .toList();

    assertThat(problems)
        .hasSize(6)
        .contains(
            "b.md: ",
            "#inputs-from-the-cluster-payloadfrom: ",
            "#notes-1: ",
            "missing.md: no such file or directory: missing.md",
            "../outside.md: points outside the repository")
        .anySatisfy(p -> assertThat(p).startsWith("#nowhere: no heading #nowhere in a.md"));
  }

  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(README));
    pages.addAll(docsPages());
    return pages;
  }

  private static List<Path> docsPages() throws IOException {
    try (Stream<Path> files = Files.list(DOCS)) {
      return files.filter(f -> f.toString().endsWith(".md")).sorted().toList();
    }
  }
}
