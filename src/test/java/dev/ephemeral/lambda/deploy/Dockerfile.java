package dev.ephemeral.lambda.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** A Dockerfile read into stages of instructions: enough to check it without a Docker engine. */
record Dockerfile(List<Dockerfile.Stage> stages) {

  static final Path PATH = Path.of("Dockerfile");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One instruction: its keyword in upper case and the rest of its (joined) line. */
  record Instruction(String keyword, String arguments) {

    boolean isExecForm() {
      return arguments.startsWith("[");
    }

    /** The JSON array of an exec-form instruction. */
    List<String> execForm() {
      try {
        return JSON.readValue(arguments, new TypeReference<List<String>>() {});
      } catch (IOException e) {
        throw new AssertionError(keyword + " is not a JSON array (exec form): " + arguments, e);
      }
    }

    /**
     * The words of a shell-form instruction, split on blanks (no quoting in the instructions
     * checked).
     */
    List<String> words() {
      return List.of(arguments.trim().split("\\s+"));
    }
  }

  /** A stage: its base image, its name ("AS ..."), if any, and its instructions after FROM. */
  record Stage(int index, String image, Optional<String> name, List<Instruction> instructions) {

    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Optional<Instruction> last(String keyword) {
      List<Instruction> found = all(keyword);
      return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
    }

    /** The stage's working directory after all its WORKDIR instructions. */
    String workdir() {
      String dir = "/";
      for (Instruction workdir : all("WORKDIR")) {
        dir = Path.of(dir).resolve(workdir.arguments().trim()).normalize().toString();
      }
      return dir;
    }

    int indexOf(Instruction instruction) {
      return instructions.indexOf(instruction);
    }
  }

  static Dockerfile read() {
    return parse(DeployFiles.read(PATH));
  }

  static Dockerfile parse(String text) {
    List<String> logical = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\\R")) {
      String trimmed = line.strip();
      if (current.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (!current.isEmpty() && trimmed.startsWith("#")) {
        continue; // comment lines inside a continued instruction are dropped, as Docker does
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
      } else {
        current.append(trimmed);
        logical.add(current.toString());
        current.setLength(0);
      }
    }
    if (!current.isEmpty()) {
      logical.add(current.toString());
    }

    List<Stage> stages = new ArrayList<>();
    String image = null;
    Optional<String> name = Optional.empty();
    List<Instruction> instructions = null;
    for (String line : logical) {
      String[] parts = line.split("\\s+", 2);
      String keyword = parts[0].toUpperCase(Locale.ROOT);
      String arguments = parts.length > 1 ? parts[1].trim() : "";
      if (keyword.equals("FROM")) {
        if (image != null) {
          stages.add(new Stage(stages.size(), image, name, List.copyOf(instructions)));
        }
        List<String> words = List.of(arguments.split("\\s+"));
        words = words.stream().filter(w -> !w.startsWith("--platform")).toList();
        image = words.get(0);
        name =
            words.size() >= 3 && words.get(1).equalsIgnoreCase("AS")
                ? Optional.of(words.get(2))
                : Optional.empty();
        instructions = new ArrayList<>();
      } else if (image == null) {
        if (!keyword.equals("ARG")) {
          throw new AssertionError("Dockerfile: " + keyword + " before the first FROM");
        }
      } else {
        instructions.add(new Instruction(keyword, arguments));
      }
    }
    if (image != null) {
      stages.add(new Stage(stages.size(), image, name, List.copyOf(instructions)));
    }
    return new Dockerfile(List.copyOf(stages));
  }

  Stage finalStage() {
    return stages.get(stages.size() - 1);
  }

  /** The stage a {@code COPY --from=} names, by name or index. */
  Optional<Stage> stage(String reference) {
    return stages.stream()
        .filter(
            s ->
                s.name().map(n -> n.equalsIgnoreCase(reference)).orElse(false)
                    || String.valueOf(s.index()).equals(reference))
        .findFirst();
  }
}
