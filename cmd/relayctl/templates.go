package main

import (
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/alimtalk"
)

// templatesCmd manages a customer's AlimTalk templates (the registry the
// door matches every AlimTalk against) through the admin API.
func templatesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "templates",
		Aliases: []string{"template"},
		Short:   "List, register or remove a customer's AlimTalk templates",
		Long: `An AlimTalk must name a template registered for its sender profile and match
its text once the #{variables} are filled in, and its buttons in type and
name. Templates come from the configuration's [[template]] tables and change
at run time through these commands (audited). A template a payment
subscription uses cannot be removed, nor its text changed, while it is used.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use: "ls CUSTOMER", Short: "List the templates of the customer's sender profiles", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			return listTemplates(a, g.output, args[0])
		},
	}, templatesPutCmd(g), &cobra.Command{
		Use: "rm CUSTOMER SENDER_KEY CODE", Short: "Remove a template (audited)", Args: exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			if _, _, err := a.call(http.MethodDelete, templatePath(args), nil, nil); err != nil {
				return err
			}
			return listTemplates(a, g.output, args[0])
		},
	})
	return cmd
}

func templatePath(args []string) string {
	return "/api/v1/customers/" + pathEsc(args[0]) + "/templates/" + pathEsc(args[1]) + "/" + pathEsc(args[2])
}

func listTemplates(a *api, output, cust string) error {
	var ts struct {
		Templates []alimtalk.Template `json:"templates"`
	}
	if err := a.get("/api/v1/customers/"+pathEsc(cust)+"/templates", nil, &ts); err != nil {
		return err
	}
	return emit(a.out, output, ts, []string{"SENDER KEY", "CODE", "BUTTONS", "MAY BE EMPTY", "TEXT"}, func(add func(...any)) {
		for _, t := range ts.Templates {
			names := make([]string, len(t.Buttons))
			for i, b := range t.Buttons {
				names[i] = b.Type + ":" + b.Name
			}
			add(t.SenderKey, t.Code, names, t.MayBeEmpty, strings.ReplaceAll(t.Text, "\n", `\n`))
		}
	})
}

// templatesPutCmd registers or replaces one template.
func templatesPutCmd(g *globals) *cobra.Command {
	var text, textFile, buttons string
	var mayBeEmpty []string
	cmd := &cobra.Command{
		Use:   "put CUSTOMER SENDER_KEY CODE (--text TEXT | --text-file FILE) [--buttons JSON] [--may-be-empty VAR,...]",
		Short: "Register or replace a template as Kakao approved it (audited)",
		Args:  exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (text == "") == (textFile == "") {
				return usagef("templates put: give the text with exactly one of --text and --text-file")
			}
			if textFile != "" {
				b, err := os.ReadFile(textFile)
				if err != nil {
					return usagef("templates put: --text-file: %v", err)
				}
				text = strings.TrimSuffix(string(b), "\n")
			}
			bs, err := alimtalk.ParseButtons(buttons)
			if err != nil {
				return usagef("templates put: --buttons: %v", err)
			}
			a, err := g.api()
			if err != nil {
				return err
			}
			t := alimtalk.Template{Text: text, MayBeEmpty: mayBeEmpty, Buttons: bs}
			if _, _, err := a.call(http.MethodPut, templatePath(args), nil, t); err != nil {
				return err
			}
			return listTemplates(a, g.output, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&text, "text", "", "the template text, with #{variables}")
	fl.StringVar(&textFile, "text-file", "", "read the template text from FILE (one trailing newline dropped)")
	fl.StringVar(&buttons, "buttons", "", `the buttons as Kakao's JSON: [{"type":"WL","name":"...","url_mobile":"..."}]`)
	fl.StringSliceVar(&mayBeEmpty, "may-be-empty", nil, "variables a message may leave empty")
	return cmd
}
