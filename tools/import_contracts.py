"""An import-linter contract of our own: apps are used only through their public modules.

    [[tool.importlinter.contracts]]
    type = "public_modules"
    apps = ["vafa.ledger", ...]
    public = ["models", "services", "selectors", "events", "inputs"]
    also_public = ["vafa.program.engine"]

An import from outside an app into it must name the app's package, one of its public modules, or a
module listed in `also_public`. Everything else in an app is its own business, so it can change
without the rest of the code noticing.
"""

from fnmatch import fnmatch

from importlinter import Contract, ContractCheck, fields, output


class PublicModulesContract(Contract):
    type_name = "public_modules"

    apps = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    also_public = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def _app_of(self, module: str) -> str | None:
        return next((app for app in self.apps if module == app or module.startswith(f"{app}.")), None)

    def _is_public(self, module: str, app: str) -> bool:
        if module == app or module in (self.also_public or []):
            return True
        first = module.removeprefix(f"{app}.").split(".")[0]
        return first in self.public

    def _ignored(self, importer: str) -> bool:
        return any(fnmatch(importer, pattern) for pattern in (self.ignore_importers or []))

    def check(self, graph, verbose: bool) -> ContractCheck:
        broken = []
        for app in self.apps:
            for imported in sorted(m for m in graph.modules if self._app_of(m) == app):
                if self._is_public(imported, app):
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(imported)):
                    if self._app_of(importer) == app or self._ignored(importer):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    line = details[0]["line_number"] if details else "?"
                    broken.append((importer, imported, line))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, line in check.metadata["broken"]:
            output.print_error(f"{importer} (l. {line}) imports {imported}, which is not a public module of its app")
        output.new_line()
        output.print(f"Import only {', '.join(self.public)} (or {', '.join(self.also_public or [])}) of another app.")
