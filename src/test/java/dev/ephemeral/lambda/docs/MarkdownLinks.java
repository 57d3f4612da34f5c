package dev.ephemeral.lambda.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The relative links of Markdown files and whether they resolve, as GitHub renders them: a link to
 * a file or directory must name one that exists inside the repository, and a {@code #anchor} one of
 * the target page's headings (GitHub's slugs: lower case, punctuation dropped, spaces to hyphens, a
 * repeated heading numbered {@code -1}, {@code -2}...). Code blocks and code spans are not read.
 */
final class MarkdownLinks {

  private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
  private static final Pattern CODE_SPAN = Pattern.compile("`+[^`]*`+");
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

  private final Path root;

  MarkdownLinks(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** A link of a file, with its line. */
  record Link(Path file, int line, String target) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + target;
    }
  }

  /** The relative links of a Markdown file (not those to a URL with a scheme). */
  List<Link> links(Path file) {
    List<Link> links = new ArrayList<>();
    List<String> lines = prose(file);
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = LINK.matcher(lines.get(i));
      while (m.find()) {
        if (!SCHEME.matcher(m.group(1)).find()) {
          links.add(new Link(file, i + 1, m.group(1)));
        }
      }
    }
    return links;
  }

  /** Why a link does not resolve, or empty when it does. */
  String problem(Link link) {
    String target = link.target();
    int hash = target.indexOf('#');
    String path = hash < 0 ? target : target.substring(0, hash);
    String anchor = hash < 0 ? "" : target.substring(hash + 1);
    Path resolved =
        path.isEmpty()
            ? link.file().toAbsolutePath().normalize()
            : link.file().toAbsolutePath().getParent().resolve(path).normalize();
    if (!resolved.startsWith(root)) {
      return "points outside the repository";
    }
    if (!Files.exists(resolved)) {
      return "no such file or directory: " + root.relativize(resolved);
    }
    if (anchor.isEmpty()) {
      return "";
    }
    if (!resolved.toString().endsWith(".md") || Files.isDirectory(resolved)) {
      return "an anchor into a file that is not Markdown";
    }
    Set<String> anchors = anchors(resolved);
    return anchors.contains(anchor)
        ? ""
        : "no heading #" + anchor + " in " + root.relativize(resolved) + " (it has " + anchors + ")";
  }

  /** The anchors GitHub gives the headings of a Markdown file, in order. */
  Set<String> anchors(Path file) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : prose(file)) {
      Matcher m = HEADING.matcher(line);
      if (m.matches()) {
        String slug = slug(m.group(1));
        int count = seen.merge(slug, 1, Integer::sum) - 1;
        anchors.add(count == 0 ? slug : slug + "-" + count);
      }
    }
    return anchors;
  }

  /** GitHub's anchor for a heading's text. */
  static String slug(String heading) {
    return heading
        .replace("`", "")
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
        .replace(' ', '-');
  }

  /**
   * The file's lines with code blocks blanked and code spans reduced to their text without
   * backticks' content, so neither a link nor a heading is read from code.
   */
  private static List<String> prose(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> prose = new ArrayList<>();
    boolean inFence = false;
    for (String line : lines) {
      if (FENCE.matcher(line).find()) {
        inFence = !inFence;
        prose.add("");
      } else if (inFence) {
        prose.add("");
      } else {
        prose.add(line.startsWith("#") ? line : CODE_SPAN.matcher(line).replaceAll("code"));
      }
    }
    return prose;
  }
}
