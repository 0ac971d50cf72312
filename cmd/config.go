package cmd

import (
	"fmt"

	"budgetrain/pipeline"

	"github.com/spf13/cobra"
)

func newConfigCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the resolved configuration (defaults < file < environment < flags < --set) and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolve(cmd, o, nil)
			if err != nil {
				return err
			}
			y, err := pipeline.ConfigYAML(cfg)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), string(y))
			return nil
		},
	}
}
