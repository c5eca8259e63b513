// A form whose Server Action fails: the session stays as it was.
import { failAfterChange } from "./actions";

export default function Failure() {
  return (
    <form action={failAfterChange}>
      <button type="submit">Fail</button>
    </form>
  );
}
