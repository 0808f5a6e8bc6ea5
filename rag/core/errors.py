"""Exception types. Every message names the offending value and how to fix it."""


class RagError(Exception):
    """Base class: the CLI turns these into one-line errors."""


class ConfigError(RagError):
    """A setting has an invalid value."""


class IngestError(RagError):
    """A file cannot be read as an article."""


class NothingIndexed(RagError):
    """No file given to a build or an add could be indexed; `skipped` holds each file's
    (path, reason), so a face can show every reason in its own words."""

    def __init__(self, message: str, skipped: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.skipped = skipped


class IndexMissingError(RagError):
    """No index exists where one was expected."""


class IndexMismatchError(RagError):
    """A saved index was built with other settings, another embedder or another format."""


class IndexCorruptError(RagError):
    """A saved index is damaged or incomplete."""


class IndexLockedError(RagError):
    """Another process is writing the index."""

    status = 409  # the API answers Conflict: the same request succeeds once the writer is done


class ModelLoadError(RagError):
    """A model could not be loaded from its package or path."""


class PromptError(RagError):
    """A prompt template is missing or was rendered without a variable it needs."""


class InputError(RagError):
    """A question or a questions file is malformed."""


class UploadError(InputError):
    """An uploaded file was refused; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Cancelled(RagError):
    """The caller went away (a closed tab, a dropped connection): the work was stopped."""

    status = 499  # nginx's "client closed request": nobody is left to read a reply


class GeneratorError(RagError):
    """The generator cannot answer: a model server is unreachable or refused the request."""

    status = 502  # the API answers Bad Gateway: the fault is upstream, not in the request
