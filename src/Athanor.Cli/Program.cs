using Athanor.Cli;

return CommandRouter.Run(args);
