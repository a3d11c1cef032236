package rpc

import (
	"fmt"
	"log/slog"
	"strings"
)

// defaultLogLevel is the reference's default_log_level.
const defaultLogLevel = "WARNING"

// slogCritical is the slog level of Python's CRITICAL, which slog lacks.
const slogCritical = slog.LevelError + 4

// pythonLevels maps Python's level names to slog levels, in the order of
// logging.getLevelNamesMapping(), which get_log_level's
// available_levels lists.
var pythonLevels = []struct {
	name  string
	level slog.Level
}{
	{"CRITICAL", slogCritical},
	{"FATAL", slogCritical},
	{"ERROR", slog.LevelError},
	{"WARN", slog.LevelWarn},
	{"WARNING", slog.LevelWarn},
	{"INFO", slog.LevelInfo},
	{"DEBUG", slog.LevelDebug},
	{"NOTSET", slog.LevelDebug - 4},
}

// parseLevel reads a Python level name (in any case).
func parseLevel(name string) (slog.Level, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	for _, l := range pythonLevels {
		if l.name == n {
			return l.level, true
		}
	}
	return 0, false
}

// levelName is Python's logging.getLevelName of the slog level: the
// canonical name of the levels above, "Level <slog name>" for others.
func levelName(l slog.Level) string {
	switch l {
	case slogCritical:
		return "CRITICAL"
	case slog.LevelError:
		return "ERROR"
	case slog.LevelWarn:
		return "WARNING"
	case slog.LevelInfo:
		return "INFO"
	case slog.LevelDebug:
		return "DEBUG"
	case slog.LevelDebug - 4:
		return "NOTSET"
	}
	return "Level " + l.String()
}

// logLevelStatus is get_log_level's answer, plus set_log_level's errors
// when errs is not nil.
func logLevelStatus(lv *slog.LevelVar, errs []string) map[string]any {
	names := make([]string, len(pythonLevels))
	for i, l := range pythonLevels {
		names[i] = l.name
	}
	m := map[string]any{"level": levelName(lv.Level()), "available_levels": names}
	if errs != nil {
		m["errors"] = errs
		if len(errs) > 0 {
			m["success"] = false
			m["error"] = strings.Join(errs, "; ")
		}
	}
	return m
}

// setLogLevel sets lv to the named level. An unknown name sets the
// reference's default (WARNING) and is reported in "errors", with
// success false, as the reference's set_log_level does; chianet also
// sets "error" to the same text.
func setLogLevel(lv *slog.LevelVar, name string) map[string]any {
	if l, ok := parseLevel(name); ok {
		lv.Set(l)
		return logLevelStatus(lv, []string{})
	}
	def, _ := parseLevel(defaultLogLevel)
	lv.Set(def)
	return logLevelStatus(lv, []string{
		fmt.Sprintf("Invalid log level %q. Defaulting to: %s", name, defaultLogLevel),
	})
}
