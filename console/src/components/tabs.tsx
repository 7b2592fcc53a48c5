import type { ReactNode } from 'react';
import { Tab, TabList, TabPanel, Tabs as AriaTabs } from 'react-aria-components';

export interface TabDef {
  id: string;
  label: string;
  content: ReactNode;
}

/** Tabs over sections of one object; arrow keys move between tabs. */
export function Tabs({ tabs, label, selectedKey, onSelectionChange }: { tabs: TabDef[]; label?: string; selectedKey?: string; onSelectionChange?: (id: string) => void }) {
  return (
    <AriaTabs className="tabs" selectedKey={selectedKey} onSelectionChange={onSelectionChange ? (key) => onSelectionChange(String(key)) : undefined}>
      <TabList className="tab-list" aria-label={label ?? 'Sections'} items={tabs}>
        {(tab) => <Tab className="tab" id={tab.id}>{tab.label}</Tab>}
      </TabList>
      {tabs.map((tab) => (
        <TabPanel className="tab-panel" key={tab.id} id={tab.id}>
          {tab.content}
        </TabPanel>
      ))}
    </AriaTabs>
  );
}
