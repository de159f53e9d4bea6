// Task page (skeleton; filled in next).
export function TaskPage({ dagId,taskId }: { dagId: string;taskId: string }) {
  return (
    <section className="page">
      <h1>Task</h1>
    </section>
  );
}
